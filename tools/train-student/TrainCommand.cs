using System.CommandLine;
using Distill.Data;
using Distill.Student;
using Distill.Student.Output;
using Distill.Student.Losses;
using Distill.Student.Training;
using TorchSharp;

namespace Distill.Tools.TrainStudent;

/// <summary>The train command (train-student's root): every recipe field as a flag, plus the run's inputs and outputs.</summary>
internal static class TrainCommand
{
    public static readonly Option<string?> Cache = new("--cache") { Description = "Directory of the train-split logits cache (from precompute-logits)", Required = true };
    public static readonly Option<string?> TestCache = new("--test-cache") { Description = "Test-split cache: reports agreement with the teacher" };
    public static readonly Option<string?> TestDataset = new("--test-dataset") { Description = "Evaluate on this dataset (its test split, or the one split of npy:/folder: data) instead of the training dataset's test split" };
    public static readonly Option<string?> Dataset = new("--dataset") { Description = "Dataset spec (default: the one recorded in the cache): " + string.Join(", ", DatasetCatalog.Formats) };
    public static readonly Option<string> Split = new("--split") { Description = "Split the cache was made from", DefaultValueFactory = _ => "train" };
    public static readonly Option<string?> Recipe = new("--recipe") { Description = "JSON recipe file; flags override its fields" };
    public static readonly Option<string?> Out = new("--out") { Description = "Output directory (metrics.jsonl, summary.json, weights, student.onnx, best/, checkpoints, TensorBoard events, curves.png); without it nothing is kept" };
    public static readonly Option<bool> Resume = new("--resume") { Description = "Continue the interrupted run in --out from its last checkpoint; refused when its inputs (recipe, caches, data, student) differ" };
    public static readonly Option<bool> Overwrite = new("--overwrite") { Description = "Replace the run (finished or interrupted) in --out" };
    public static readonly Option<string?> InitFrom = new("--init-from") { Description = "Start from the weights of run RUN (its final model, else its latest checkpoint) with a fresh optimizer and schedule; its recipe is the default" };
    public static readonly Option<int?> Threads = new("--threads") { Description = $"CPU threads for TorchSharp (default: all cores; at most {ThreadLimit.Max})" };

    public static readonly Option<string?> Student = new("--student") { Description = $"Student: {string.Join(", ", StudentRegistry.Names)}" };
    public static readonly Option<string?> Loss = new("--loss") { Description = "Shorthand for the terms ce_weight·ce + kd_weight·LOSS (a recipe's \"terms\" list says more): " + string.Join(", ", LossRegistry.Names) };
    public static readonly Option<double?> Temperature = new("--temperature") { Description = "Loss parameter temperature (kd, dkd, dist: default 4)" };
    public static readonly Option<double?> Alpha = new("--alpha") { Description = "Loss parameter alpha (dkd: TCKD weight, default 1)" };
    public static readonly Option<double?> Beta = new("--beta") { Description = "Loss parameter beta (dkd: NCKD weight, default 8; dist: inter-class, default 2)" };
    public static readonly Option<double?> Gamma = new("--gamma") { Description = "Loss parameter gamma (dist: intra-class, default 2)" };
    public static readonly Option<bool?> Standardize = new("--standardize") { Description = "Loss parameter standardize (kd, dkd, dist): z-score both logits per sample before T (Sun et al. 2024)" };
    public static readonly Option<double?> CeWeight = new("--ce-weight") { Description = "Weight of cross-entropy (default: kd 0.1, others 1)" };
    public static readonly Option<double?> KdWeight = new("--kd-weight") { Description = "Weight of the distillation term (default: kd 0.9, others 1)" };
    public static readonly Option<int?> Warmup = new("--warmup") { Description = "Warmup of the distillation term in epochs (× min(epoch/warmup, 1))" };
    public static readonly Option<double?> LabelSmoothing = new("--label-smoothing") { Description = "Label smoothing of the CE term" };
    public static readonly Option<string?> Optimizer = new("--optimizer") { Description = "adam, adamw or sgd" };
    public static readonly Option<double?> Lr = new("--lr") { Description = "Learning rate (default 1e-3)" };
    public static readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "Weight decay (default 0)" };
    public static readonly Option<double?> Momentum = new("--momentum") { Description = "SGD momentum (default 0.9)" };
    public static readonly Option<bool?> Nesterov = new("--nesterov") { Description = "SGD with Nesterov momentum" };
    public static readonly Option<string?> Schedule = new("--schedule") { Description = "constant, step, cosine or one-cycle" };
    public static readonly Option<double?> LrWarmup = new("--lr-warmup") { Description = "Linear learning-rate warmup in epochs" };
    public static readonly Option<int?> StepEpochs = new("--step-epochs") { Description = "step schedule: decay every N epochs (default 30)" };
    public static readonly Option<double?> LrDecay = new("--lr-decay") { Description = "step schedule: decay factor (default 0.1)" };
    public static readonly Option<int?> Batch = new("--batch") { Description = "Batch size (default 128)" };
    public static readonly Option<int?> Epochs = new("--epochs") { Description = "Epochs (default 20)" };
    public static readonly Option<int?> Seed = new("--seed") { Description = "Random seed (default 0)" };
    public static readonly Option<double?> ValFraction = new("--val-fraction") { Description = "Hold out this share of the training samples for validation (seeded, never trained on); it picks the best epoch (default 0: none)" };
    public static readonly Option<int?> EarlyStop = new("--early-stop") { Description = "Stop after N epochs without a better validation (else test) accuracy (default 0: never)" };
    public static readonly Option<int?> Limit = new("--limit") { Description = "Train on the first N cached samples only, for a quick look (default 0: all)" };
    public static readonly Option<string?> Device = new("--device") { Description = "auto, cpu or cuda" };
    public static readonly Option<int?> MemoryBudgetMb = new("--memory-budget-mb") { Description = "Memory for the shuffle buffer and dataset preload (default 512)" };
    public static readonly Option<string?> Teacher = new("--teacher") { Description = "Refuse caches (train and test) not made by this teacher: its .onnx file or 64-hex-digit SHA-256" };

    public static RootCommand Create()
    {
        var root = new RootCommand(ToolHelp.Describe(
            "Train a student on a teacher's cached logits (stage 2 of offline distillation) and export it to ONNX.",
            "train-student --cache caches/fmnist-train --test-cache caches/fmnist-test --student mlp-256-256 --loss kd --epochs 20 --out runs/kd",
            "train-student --cache caches/mine-train --val-fraction 0.1 --early-stop 5 --test-dataset npy:test.npy,test-labels.npy --out runs/mine",
            "train-student --recipe recipes/fmnist/cnn-small.kd.json --cache caches/fmnist-train --out runs/cnn   (a recipe file, flags override it)",
            "train-student --cache caches/fmnist-train --limit 2000 --epochs 2   (a quick look: nothing is kept without --out)"));
        AddTo(root);
        root.SetAction(RunAsync);
        return root;
    }

    private static async Task<int> RunAsync(ParseResult p, CancellationToken ct)
    {
        var cacheDir = p.GetValue(Cache)!;
        var mode = Mode(p);
        var outDir = p.GetValue(Out);
        var init = p.GetValue(InitFrom) is { } from ? InitialWeights.FromRun(from) : null;
        if (init is not null && outDir is not null && Path.GetFullPath(outDir).TrimEnd('/') == init.Source.Run.TrimEnd('/'))
            throw new DistillException("--init-from names the run in --out: continue a run with --resume; --init-from starts a new run in another directory");
        var recipe = BuildRecipe(p, init);
        if (p.GetValue(Threads) is int threads) torch.set_num_threads(ThreadLimit.Check(threads, "--threads"));
        using var data = TrainingData.Open(cacheDir, p.GetValue(Dataset), p.GetValue(Split)!, p.GetValue(TestCache), p.GetValue(TestDataset));
        if (outDir is null)
            Console.Error.WriteLine("warning: no --out: the trained student, its metrics and checkpoints are not kept (give --out DIR to keep them)");
        var console = new ConsoleReport(recipe, data);
        console.Header();
        if (init is not null)
            Console.WriteLine($"initial weights: {Path.Combine(init.Source.Run, init.Source.File)} (sha256 {init.Source.Sha256[..12]}…), fresh optimizer and schedule");
        try
        {
            var result = await console.RunAsync(events => Distiller.TrainAsync(data, recipe, outDir, mode, events, init, ct));
            console.Final(result, outDir);
            return 0;
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            throw new Interrupted(outDir is null
                ? "train-student was interrupted; nothing was kept (there was no --out)"
                : $"train-student was interrupted; the last finished epoch is checkpointed in {outDir}. Continue with: {ResumeCommand(p)}", e);
        }
    }

    /// <summary>The command that continues the run: its inputs again (the recipe comes from the run's run.json) and --resume.</summary>
    private static string ResumeCommand(ParseResult p)
    {
        var parts = new List<string> { "train-student", "--cache", p.GetValue(Cache)! };
        void Add(Option<string?> o) { if (p.GetValue(o) is { } v) parts.AddRange(new[] { o.Name, v }); }
        Add(TestCache); Add(TestDataset); Add(Dataset);
        if (p.GetValue(Split) is { } split && split != "train") parts.AddRange(new[] { Split.Name, split });
        parts.AddRange(new[] { "--out", p.GetValue(Out)!, "--resume" });
        return string.Join(" ", parts.Select(a => a.Contains(' ') ? $"'{a}'" : a));
    }

    public static void AddTo(Command cmd)
    {
        foreach (Option o in new Option[] { Cache, TestCache, TestDataset, Dataset, Split, Recipe, Out, Resume, Overwrite, InitFrom, Threads, Student, Loss,
                     Temperature, Alpha, Beta, Gamma, Standardize, CeWeight, KdWeight, Warmup, LabelSmoothing, Optimizer, Lr, WeightDecay,
                     Momentum, Nesterov, Schedule, LrWarmup, StepEpochs, LrDecay, Batch, Epochs, Seed, ValFraction, EarlyStop, Limit, Device, MemoryBudgetMb, Teacher })
            cmd.Options.Add(o);
    }

    /// <summary>What to do with a run already in --out; the flags' combinations checked once.</summary>
    public static RunMode Mode(ParseResult p)
    {
        var outDir = p.GetValue(Out);
        bool resume = p.GetValue(Resume), overwrite = p.GetValue(Overwrite);
        if (outDir is not null && string.IsNullOrWhiteSpace(outDir)) throw new DistillException("--out must name a directory");
        if (resume && overwrite) throw new DistillException("--resume continues the run in --out, --overwrite replaces it: give one of them");
        if ((resume || overwrite) && outDir is null) throw new DistillException($"--{(resume ? "resume" : "overwrite")} needs --out");
        return resume ? RunMode.Resume : overwrite ? RunMode.Overwrite : RunMode.New;
    }

    /// <summary>
    /// The recipe file, else the run's own recipe on --resume (run.json), else the --init-from run's, else the
    /// defaults; then the flags applied.
    /// </summary>
    public static Recipe BuildRecipe(ParseResult p, InitialWeights? init)
    {
        var path = p.GetValue(Recipe);
        var r = path is not null ? Distill.Student.Training.Recipe.Load(path)
            : p.GetValue(Resume) && RunIdentity.Load(p.GetValue(Out)!) is { } saved ? saved.Recipe
            : init?.Recipe ?? new Recipe();
        T Or<T>(Option<T?> opt, T current) where T : struct => p.GetValue(opt) ?? current;
        T? OrN<T>(Option<T?> opt, T? current) where T : struct => p.GetValue(opt) ?? current;
        string OrS(Option<string?> opt, string current) => p.GetValue(opt) ?? current;
        r = r with
        {
            Student = OrS(Student, r.Student), Loss = p.GetValue(Loss) ?? r.Loss,
            Temperature = OrN(Temperature, r.Temperature), Alpha = OrN(Alpha, r.Alpha), Beta = OrN(Beta, r.Beta), Gamma = OrN(Gamma, r.Gamma),
            Standardize = OrN(Standardize, r.Standardize),
            CeWeight = p.GetValue(CeWeight) ?? r.CeWeight, KdWeight = p.GetValue(KdWeight) ?? r.KdWeight,
            Warmup = OrN(Warmup, r.Warmup), LabelSmoothing = OrN(LabelSmoothing, r.LabelSmoothing),
            Optimizer = OrS(Optimizer, r.Optimizer), Lr = Or(Lr, r.Lr), WeightDecay = Or(WeightDecay, r.WeightDecay),
            Momentum = Or(Momentum, r.Momentum), Nesterov = Or(Nesterov, r.Nesterov),
            Schedule = OrS(Schedule, r.Schedule), LrWarmup = Or(LrWarmup, r.LrWarmup), StepEpochs = Or(StepEpochs, r.StepEpochs),
            LrDecay = Or(LrDecay, r.LrDecay), Batch = Or(Batch, r.Batch), Epochs = Or(Epochs, r.Epochs), Seed = Or(Seed, r.Seed),
            ValFraction = Or(ValFraction, r.ValFraction), EarlyStop = Or(EarlyStop, r.EarlyStop), Limit = Or(Limit, r.Limit),
            Device = OrS(Device, r.Device), MemoryBudgetMb = Or(MemoryBudgetMb, r.MemoryBudgetMb),
            Teacher = p.GetValue(Teacher) ?? r.Teacher,
        };
        return r.Validate();
    }
}
