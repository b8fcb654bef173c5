namespace Distill.Tools.Tests;

/// <summary>
/// Issue 16, item 5: every command's --help shows an example and marks what is required; a command-line mistake is one
/// line and exit code 1 in all three tools (one entry point, tools/Shared/ToolMain.cs); a bad loss-eval --cases file is
/// one line naming the case and key, not an unhandled exception.
/// </summary>
[TestClass]
public sealed class HelpAndExitCodeTests
{
    public static IEnumerable<object[]> Commands => new[]
    {
        new object[] { "precompute-logits", "" }, new object[] { "precompute-logits", "inspect" }, new object[] { "precompute-logits", "bench" },
        new object[] { "precompute-logits", "bench-decode" }, new object[] { "precompute-logits", "compare" }, new object[] { "precompute-logits", "layers" },
        new object[] { "precompute-logits", "card" }, new object[] { "train-student", "" }, new object[] { "train-student", "make-synthetic" },
        new object[] { "train-student", "loss-eval" }, new object[] { "train-student", "export" }, new object[] { "train-student", "taps" },
        new object[] { "evaluate", "" },
    };

    [TestMethod]
    [DynamicData(nameof(Commands))]
    public void HelpShowsAnExample(string tool, string command)
    {
        var r = ToolRunner.Run(tool, (command == "" ? new string[0] : new[] { command }).Append("--help"));
        Assert.AreEqual(0, r.Code, r.Stderr);
        Assert.IsTrue(r.Stdout.Contains("Example: ", StringComparison.Ordinal) || r.Stdout.Contains("Examples:\n", StringComparison.Ordinal),
            $"{tool} {command} --help has no example:\n{r.Stdout}");
        StringAssert.Contains(r.Stdout, $"{tool}{(command == "" ? "" : " " + command)} ", "the example starts with the command itself");
    }

    [TestMethod]
    public void RequiredOptionsAreMarkedAndTheirAbsenceIsOneLine()
    {
        StringAssert.Contains(ToolRunner.Run("train-student", new[] { "--help" }).Stdout, "--cache <cache> (REQUIRED)");
        StringAssert.Contains(ToolRunner.Run("precompute-logits", new[] { "--help" }).Stdout, "--teacher <teacher> (REQUIRED)");
        foreach (var (tool, args, line) in new[]
        {
            ("train-student", new[] { "--epochs", "1" }, "error: Option '--cache' is required. (see train-student --help)"),
            ("precompute-logits", new[] { "--dataset", "fashion-mnist" }, "error: Option '--teacher' is required. (see precompute-logits --help)"),
            ("evaluate", new[] { "teacher.onnx" }, "error: Required argument 'student' missing for command: 'evaluate'. (see evaluate --help)"),
        })
        {
            var r = ToolRunner.Run(tool, args);
            Assert.AreEqual(1, r.Code, $"{tool}: {r.Stderr}");
            Assert.HasCount(1, r.ErrorLines, r.Stderr);
            Assert.AreEqual(line, r.ErrorLines[0]);
        }
    }

    [TestMethod]
    public void ABadLossEvalCasesFileIsOneLine()
    {
        var dir = Tools.TempDir();
        var bad = Path.Combine(dir, "cases.json");
        File.WriteAllText(bad, """{"cases": [{"loss": "kd", "B": 1, "C": 2, "student": [0.5, "x"], "teacher": [0.1, 0.2]}]}""");
        var r = ToolRunner.Run("train-student", new[] { "loss-eval", "--cases", bad, "--out", Path.Combine(dir, "out.json") });
        Assert.AreEqual(1, r.Code, r.Stderr);
        Assert.HasCount(1, r.ErrorLines, r.Stderr);
        StringAssert.EndsWith(r.ErrorLines[0], "'student[1]' must be a number");
        Assert.IsFalse(File.Exists(Path.Combine(dir, "out.json")));
    }
}
