using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// The terms redesign against Debian's PyTorch 1.13 (golden/terms.json, written by golden/make_terms_cases.py from the
/// papers' code): hint_mse, hint_cosine, hint_smooth_l1, at, kd/dkd/dist with logit standardization, and adapter terms
/// with given weights — value and gradient w.r.t. the student (through the adapter), 1e-9 relative in float64, 1e-5 in float32.
/// </summary>
[TestClass]
public sealed class GoldenTermsTests
{
    private const string GoldenFile = "terms.json";

    public static IEnumerable<object[]> Cases() =>
        GoldenCases.Rows(GoldenFile, c => c["loss"]!.GetValue<string>() + (c["adapter"] is { } a ? "+" + a.GetValue<string>() : ""));

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float64MatchesPyTorch(int index, string loss) => GoldenCases.Check(GoldenFile, index, ScalarType.Float64, 1e-9);

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float32MatchesPyTorch(int index, string loss) => GoldenCases.Check(GoldenFile, index, ScalarType.Float32, 1e-5);
}
