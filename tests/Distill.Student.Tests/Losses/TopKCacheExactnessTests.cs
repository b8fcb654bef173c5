using System.Text.Json.Nodes;
using Distill.Cache;
using Distill.Data;
using Distill.Student.Losses;
using Distill.Student.Terms;
using Distill.Student.Training;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// Losses on top-K caches against the same logits cached dense, both written and read back through the real cache
/// (writer, codec, reader, <see cref="CacheLogitSource"/>). The reference for each expectation is the dense cache and
/// formulas evaluated here with torch in float64: DKD's target term (TCKD) is exact at T = 1 with the label's logit
/// kept; DKD overall stays within the tail bound worked out below; logit standardization with the stored mean/std
/// equals the dense one on every stored class; K = C serves every loss exactly as the dense cache does.
/// </summary>
[TestClass]
public sealed class TopKCacheExactnessTests
{
    private const int N = 64, C = 20;

    // Spread logits (a few classes dominate, labels i mod C mostly outside the top 5).
    private static float Logit(int i, int c) => (float)(3 * Math.Sin(1.7 * i + 2.3 * c) + 0.15 * c + 0.5 * Math.Cos(0.3 * i * c));
    private static float StudentLogit(int i, int c) => (float)(2 * Math.Cos(0.9 * i + 1.1 * c) - 0.05 * c);
    private static int Label(int i) => i % C;

    private static async Task<(TeacherColumn[] Columns, LogitRows Rows)> CacheAsync(CacheEncoding encoding)
    {
        var dir = TempFolder.Create("distill-topk-exactness");
        var output = new CacheOutput("logits", "logits", new[] { C });
        var meta = new CacheMetadata
        {
            TeacherFile = "t.onnx", TeacherSha256 = "00", Outputs = new[] { output },
            Codecs = encoding.CodecsFor(new[] { output }, C, hasLabels: true), Compression = encoding.ResolvedCompression,
            ClassCount = C, DatasetName = "unit", Split = "train", DatasetCount = N, Fingerprint = "ab12cd34ef56ab12cd34ef56",
            SampleShape = new[] { 1 }, Preprocessing = new Preprocessing(1, new[] { 0.0 }, new[] { 1.0 }), InputName = "input", HasLabels = true,
        };
        await using (var w = await LogitCacheWriter.CreateAsync(dir, meta, true, rowGroupSize: N))
        {
            var logits = new float[N * C];
            for (int i = 0; i < N; i++) for (int c = 0; c < C; c++) logits[i * C + c] = Logit(i, c);
            await w.WriteAsync(Enumerable.Range(0, N).Select(i => (long)i).ToArray(), Enumerable.Range(0, N).Select(Label).ToArray(), logits);
            await w.CompleteAsync();
        }
        using var reader = LogitCacheReader.Open(dir);
        var source = new CacheLogitSource(reader);
        return (source.Columns.ToArray(), await source.ReadRowGroupAsync(0));
    }

    private static Tensor Dense(float[] values, int width) => tensor(values, ScalarType.Float32).reshape(N, width).to(ScalarType.Float64);
    private static Tensor Student() => tensor(Enumerable.Range(0, N * C).Select(k => (double)StudentLogit(k / C, k % C)).ToArray()).reshape(N, C);
    private static Tensor Labels() => tensor(Enumerable.Range(0, N).Select(i => (long)Label(i)).ToArray());

    private static double Dkd(double alpha, double beta, TeacherTargets teacher) =>
        LossRegistry.Create("dkd", new Dictionary<string, JsonNode?> { ["alpha"] = alpha, ["beta"] = beta, ["temperature"] = 1.0 })
            .Forward(new LossBatch(Student(), teacher, Labels(), 1)).item<double>();

    [TestMethod]
    public async Task DkdTargetTermIsExactWithTheLabelLogitKept()
    {
        using var scope = NewDisposeScope();
        var dense = (await CacheAsync(CacheEncoding.Float32)).Rows;
        var kept = (await CacheAsync(CacheEncoding.TopKOf(5))).Rows;
        var lost = (await CacheAsync(CacheEncoding.Parse(null, 5, "moments"))).Rows;
        // TCKD alone (β = 0) at T = 1: the label's probability exp(z_y − lse) is all it reads of the teacher.
        double reference = Dkd(1, 0, TeacherTargets.FromLogits(Dense(dense.Logits, C)));
        double withLabel = Dkd(1, 0, TeacherTargets.FromLogits(Dense(kept.Logits, C)));
        double withoutLabel = Dkd(1, 0, TeacherTargets.FromLogits(Dense(lost.Logits, C)));
        Assert.AreEqual(reference, withLabel, 2e-6 * Math.Abs(reference), "label logit kept: TCKD exact up to float32 storage of the logit and log-sum-exp");
        Assert.IsTrue(Math.Abs(withoutLabel - reference) > 1e-3 * Math.Abs(reference),
            $"without the label logit a label outside the top 5 gets the tail's share, so TCKD differs ({withoutLabel} vs {reference})");
    }

    [TestMethod]
    public async Task DkdOverallStaysWithinTheTailBound()
    {
        using var scope = NewDisposeScope();
        const double alpha = 1, beta = 8;
        var denseRows = (await CacheAsync(CacheEncoding.Float32)).Rows;
        var topRows = (await CacheAsync(CacheEncoding.TopKOf(5))).Rows;
        var t = Dense(denseRows.Logits, C);
        double reference = Dkd(alpha, beta, TeacherTargets.FromLogits(t));
        double topK = Dkd(alpha, beta, TeacherTargets.FromLogits(Dense(topRows.Logits, C)));
        // Bound (T = 1): TCKD is exact, so only NCKD = KL(q ‖ r) over the non-target classes moves, q the teacher's and r
        // the student's non-target distribution. On the tail U (classes neither stored nor the label, n of them, teacher
        // mass m = Σ_U q) the cache has q' = m/n each. Then Σ_U q log q − Σ_U q' log q' ∈ [0, m log n] (the uniform
        // maximizes entropy at fixed mass) and |Σ_U (q − q') log r| ≤ m · (max_U log r − min_U log r).
        // So |DKD_topK − DKD_dense| ≤ β/B · Σ_b m_b (log n_b + range_U,b log r_b).
        var y = Labels();
        var (_, top) = t.topk(5, 1);
        var tail = ones(N, C, ScalarType.Float64).scatter(1, top, zeros(N, 5, ScalarType.Float64)).scatter(1, y.view(-1, 1), zeros(N, 1, ScalarType.Float64)).to(ScalarType.Bool);
        var nonTarget = ones(N, C, ScalarType.Float64).scatter(1, y.view(-1, 1), zeros(N, 1, ScalarType.Float64)).to(ScalarType.Bool);
        Tensor NonTargetLogProb(Tensor z) => nn.functional.log_softmax(z.masked_fill(nonTarget.logical_not(), double.NegativeInfinity), 1);
        var m = NonTargetLogProb(t).exp().masked_fill(tail.logical_not(), 0).sum(1);
        var n = tail.sum(1).to(ScalarType.Float64);
        var logR = NonTargetLogProb(Student());
        var range = logR.masked_fill(tail.logical_not(), double.NegativeInfinity).amax(1) - logR.masked_fill(tail.logical_not(), double.PositiveInfinity).amin(1);
        double bound = beta / N * (m * (n.log() + range)).sum().item<double>();
        double diff = Math.Abs(topK - reference);
        Assert.IsTrue(diff <= bound + 1e-6, $"|DKD top-5 − DKD dense| = {diff:G6} exceeds the tail bound {bound:G6}");
        Assert.IsTrue(diff > 1e-4, $"the tail approximation must be visible on these logits (diff {diff:G6})");
    }

    [TestMethod]
    public async Task StandardizationWithStoredMeanAndStdEqualsTheDenseOne()
    {
        using var scope = NewDisposeScope();
        var dense = (await CacheAsync(CacheEncoding.Float32)).Rows;
        var (columns, rows) = await CacheAsync(CacheEncoding.TopKOf(5));
        Assert.AreEqual(TeacherColumn.MomentsOf("logits"), columns[1].Name);
        var reference = TeacherTargets.FromLogits(Dense(dense.Logits, C)).Standardized(ScalarType.Float64);
        var topK = TeacherTargets.FromLogits(Dense(rows.Logits, C), Dense(rows.Extra[0], 2)).Standardized(ScalarType.Float64);
        var (_, top) = Dense(dense.Logits, C).topk(5, 1);
        var stored = cat(new[] { top, Labels().view(-1, 1) }, 1);   // the top 5 and the label
        double worst = (reference.gather(1, stored) - topK.gather(1, stored)).abs().max().item<double>();
        Assert.IsTrue(worst < 1e-6, $"standardized stored classes differ by {worst}");
        // Without the moments, the reconstructed tail would bias mean and std: visibly different.
        var biased = TeacherTargets.FromLogits(Dense(rows.Logits, C)).Standardized(ScalarType.Float64);
        Assert.IsTrue((reference.gather(1, stored) - biased.gather(1, stored)).abs().max().item<double>() > 1e-2);
    }

    [TestMethod]
    public async Task StandardizeOnATopKCacheLoadsTheMomentsOrIsRefused()
    {
        var student = new Dictionary<string, long[]> { ["logits"] = new long[] { C } };
        var kd = new TermSpec { Loss = "kd", Parameters = new() { ["standardize"] = System.Text.Json.JsonDocument.Parse("true").RootElement } };
        var withMoments = Objective.Build(new[] { kd });
        withMoments.Bind(student, (await CacheAsync(CacheEncoding.TopKOf(5))).Columns, CPU);
        CollectionAssert.AreEqual(new[] { "logits", "logits.moments" }, withMoments.TeacherColumns.ToArray());
        var e = Assert.ThrowsExactly<DistillException>(() =>
            Objective.Build(new[] { kd }).Bind(student, CacheAsync(CacheEncoding.Parse(null, 5, "label")).Result.Columns, CPU));
        Assert.AreEqual("term 'kd': loss 'kd' cannot use column 'logits' stored as top-5 float32: standardize needs each row's mean and " +
            "standard deviation over all classes, which the column does not store (precompute with --top-k-extras moments)", e.Message);
    }

    [TestMethod]
    public async Task KEqualToCServesEveryLossAsTheDenseCache()
    {
        var (denseColumns, dense) = await CacheAsync(CacheEncoding.Float32);
        var (columns, full) = await CacheAsync(CacheEncoding.TopKOf(C));
        CollectionAssert.AreEqual(dense.Logits, full.Logits, "K = C: the reader's rows are the teacher's rows, bit for bit");
        Assert.AreEqual(1, columns.Length, "K = C needs no stored moments: they are computed from the complete row");
        var student = new Dictionary<string, long[]> { ["logits"] = new long[] { C } };
        foreach (var loss in LossRegistry.Names)
        {
            string Verdict(IReadOnlyList<TeacherColumn> cols)
            {
                var o = Objective.Build(new[] { new TermSpec { Loss = loss } });
                try { o.Bind(student, cols, CPU, datasetTargets: new[] { "mask", "boxes" }); return "ok " + string.Join("|", o.Notes); }
                catch (DistillException e) { return e.Message; }
            }
            Assert.AreEqual(Verdict(denseColumns), Verdict(columns), $"loss '{loss}' on top-{C} of {C} classes");
        }
    }
}
