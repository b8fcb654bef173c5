using System.Security.Cryptography;
using Distill.Cache;
using Parquet;
using Parquet.Schema;

namespace Distill.Tools.Tests;

/// <summary>
/// Bad input across both tools: each case gives exactly one "error:" line, the expected text, exit code 1, and no
/// stack trace. {T} is this class's temporary folder, {F} the teacher-test fixtures, {M} the models folder; {FP},
/// {TSHA} and {OSHA} are the first 12 hex digits of the tiny caches' fingerprint, of their teacher's SHA-256 and of
/// another fixture teacher's (two-outputs.onnx).
/// </summary>
[TestClass]
public sealed class BadInputTests
{
    private static string _tmp = "";

    public static IEnumerable<object[]> Cases() => new (string Name, string Tool, string Args, string Error)[]
    {
        ("missing teacher", "precompute-logits", "--teacher {T}/missing.onnx --out {T}/o1 --device cpu",
            "teacher {T}/missing.onnx not found"),
        ("not an ONNX file", "precompute-logits", "--teacher {T}/notonnx.onnx --no-normalize --out {T}/o2 --device cpu",
            "teacher {T}/notonnx.onnx is not a loadable ONNX model ([ErrorCode:InvalidProtobuf] Load model from {T}/notonnx.onnx failed:Protobuf parsing failed.)"),
        ("input dtype the dataset cannot feed", "precompute-logits", "--teacher {F}/int-input.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o3 --device cpu",
            "teacher int-input.onnx: input 'input' is int64, but the dataset feeds float32 tensors"),
        ("input size the dataset cannot feed", "precompute-logits", "--teacher {M}/fmnist-resnet/fmnist-resnet.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o4 --device cpu",
            "teacher fmnist-resnet.onnx: input 'input' has shape [N,1,28,28], the dataset's samples are [1,4,4]"),
        ("input rank the dataset cannot feed", "precompute-logits", "--teacher {F}/flat-input.onnx --dataset fashion-mnist --split test --out {T}/o5 --device cpu",
            "teacher flat-input.onnx: input 'input' has rank 2 [N,16], the dataset feeds [N,1,28,28]"),
        ("unknown output name", "precompute-logits", "--teacher {F}/two-outputs.onnx --output probs --dataset idx:{F}/tiny-idx --split test --out {T}/o6 --device cpu",
            "teacher two-outputs.onnx has no output or inner tensor 'probs' (outputs: features [N,8], logits [N,3]; all 6 tensors: precompute-logits layers two-outputs.onnx)"),
        ("ambiguous outputs", "precompute-logits", "--teacher {F}/two-outputs.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o7 --device cpu",
            "teacher two-outputs.onnx has several outputs (features [N,8], logits [N,3]); pick one with --output NAME"),
        ("NaN teacher logits", "precompute-logits", "--teacher {F}/nan-on-dark.onnx --dataset idx:{F}/tiny-idx --split test --mean 0.5 --std 0.25 --out {T}/o8 --device cpu",
            "teacher produced NaN logits for sample 5 (class 0)"),
        ("unreadable dataset", "precompute-logits", "--teacher {M}/fmnist-resnet/fmnist-resnet.onnx --dataset idx:{T}/no-such-dir --out {T}/o9 --device cpu",
            "dataset directory not found: {T}/no-such-dir"),
        ("existing output without --overwrite", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split train --out {T}/tiny-train --device cpu",
            "{T}/tiny-train already holds a cache (pass --overwrite to replace it)"),
        ("unwritable output directory", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/afile/cache --device cpu",
            "cannot create output directory {T}/afile/cache: Could not find a part of the path '{T}/afile/cache'."),
        ("CUDA requested on a CPU-only build", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o10 --device cuda",
            "--device cuda:0: this ONNX Runtime build is CPU-only: no CUDAExecutionProvider and no libonnxruntime_providers_cuda.so on LD_LIBRARY_PATH (build with -p:UseCuda=true, or supply CUDA-enabled native libraries)"),
        ("batch size 0 (teacher)", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o11 --batch 0 --device cpu",
            "--batch must be positive, got 0"),
        ("top-k above the class count", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o12 --top-k 4 --device cpu",
            "--top-k 4 exceeds the 3 classes of output 'linear'"),
        ("teachers with different class counts in an ensemble", "precompute-logits", "--teacher {F}/ensemble-a.onnx --teacher {F}/five-classes.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o13 --device cpu",
            "teachers disagree on the class count: ensemble-a.onnx outputs 3 classes, five-classes.onnx outputs 5"),
        ("ensemble mode for one teacher", "precompute-logits", "--teacher {F}/ensemble-a.onnx --ensemble mean --dataset idx:{F}/tiny-idx --split test --out {T}/o14 --device cpu",
            "--ensemble mean needs several --teacher models"),
        ("views without augmentation", "precompute-logits", "--teacher {F}/ensemble-a.onnx --views 4 --dataset idx:{F}/tiny-idx --split test --out {T}/o15 --device cpu",
            "--views needs --augment (identical views would be cached)"),
        ("unknown augmentation", "precompute-logits", "--teacher {F}/ensemble-a.onnx --augment rotate:10 --dataset idx:{F}/tiny-idx --split test --out {T}/o16 --device cpu",
            "--augment: 'rotate:10' is not crop:P (1 ≤ P ≤ 64) or flip"),
        ("top-k of a dense output", "precompute-logits", "--teacher {F}/dense-heads.onnx --output seg --top-k 2 --dataset idx:{F}/tiny-idx --split test --out {T}/o17 --device cpu",
            "--top-k needs class logits [N, C]; output 'seg' is [N,3,4,4]"),
        ("truncated Parquet file", "precompute-logits", "inspect {T}/truncated",
            "{T}/truncated/part-00000.parquet: not a readable Parquet file (no Parquet magic bytes)"),
        ("Parquet file with the wrong schema", "precompute-logits", "inspect {T}/wrong-schema",
            "{T}/wrong-schema/part-00000.parquet: wrong schema (no LIST<FLOAT> column 'logits')"),
        ("cache made from another split", "train-student", "--cache {T}/tiny-test --dataset idx:{F}/tiny-idx --split train --student mlp:8 --loss kd --epochs 1 --out {T}/r1",
            "cache {T}/tiny-test was made from the 'test' split, not 'train'"),
        ("cache made from another dataset", "train-student", "--cache {T}/tiny-train --dataset fashion-mnist --student mlp:8 --loss kd --epochs 1 --out {T}/r2",
            "cache {T}/tiny-train was made from other data (idx:{F}/tiny-idx train, 40 samples, fingerprint {FP}…) than fashion-mnist train (60000 samples, fingerprint 16d82e2b5052…)"),
        ("NaN logits in a cache", "train-student", "--cache {T}/nan-cache --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --out {T}/r3",
            "{T}/nan-cache/part-00000.parquet: row group 0 holds NaN logits for sample 3 (class 1)"),
        ("a loss the cache's encoding cannot serve", "train-student", "--cache {T}/tiny-top2 --dataset idx:{F}/tiny-idx --student mlp:8 --loss adkd --epochs 1 --out {T}/r-top2",
            "term 'adkd': loss 'adkd' cannot use column 'logits' stored as top-2 float32: it needs every value of a row, and the column stores 2 of 3 (precompute without --top-k)"),
        ("labels outside [0, C)", "train-student", "--cache {T}/bad-labels --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --out {T}/r4",
            "{T}/bad-labels/part-00000.parquet: row group 0 holds label 7 outside [0, 3)"),
        ("negative temperature", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --temperature -1 --epochs 1 --out {T}/r5",
            "loss 'kd': temperature must be a positive number, got -1"),
        ("zero temperature", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --temperature 0 --epochs 1 --out {T}/r6",
            "loss 'kd': temperature must be a positive number, got 0"),
        ("a parameter the loss does not take", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --beta 3 --epochs 1 --out {T}/r6b",
            "loss 'kd' does not take 'beta' (it takes: temperature, standardize)"),
        ("batch size 0 (student)", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --batch 0 --epochs 1 --out {T}/r7",
            "--batch must be ≥ 1"),
        ("unknown loss", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss nope --epochs 1 --out {T}/r8",
            "unknown loss 'nope' (known: ce, kd, kldiv_seed, dkd, dist, adkd, seg_kl, det_mse, seg_ce, det_yolo, hint_mse, hint_cosine, hint_smooth_l1, at)"),
        ("missing cache", "train-student", "--cache {T}/no-cache --student mlp:8 --loss kd --epochs 1 --out {T}/r9",
            "cache {T}/no-cache not found"),
        ("recipe with an unknown field", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --recipe {T}/bad-recipe.json --out {T}/r10",
            "{T}/bad-recipe.json: unknown key 'colour' (valid keys: student, terms, loss, temperature, alpha, beta, gamma, standardize, ce_weight, kd_weight, warmup, label_smoothing, optimizer, lr, weight_decay, momentum, nesterov, schedule, lr_warmup, step_epochs, lr_decay, batch, epochs, seed, val_fraction, early_stop, limit, device, memory_budget_mb, teacher)"),
        ("unwritable output directory (student)", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --out {T}/afile/run",
            "cannot write to output directory {T}/afile/run: Could not find a part of the path '{T}/afile/run'."),
        ("DIST with a batch of one", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss dist --batch 1 --epochs 1 --out {T}/r11",
            "loss 'dist' needs a batch of at least 2 rows, got --batch 1"),
        ("cache made by another teacher (file)", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --teacher {F}/two-outputs.onnx --out {T}/r12",
            "cache {T}/tiny-train was made by teacher names-x-linear.onnx (sha256 {TSHA}…), not by the recipe's teacher two-outputs.onnx (sha256 {OSHA}…)"),
        ("cache made by another teacher (sha256)", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --teacher 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef --out {T}/r13",
            "cache {T}/tiny-train was made by teacher names-x-linear.onnx (sha256 {TSHA}…), not by the recipe's teacher sha256 0123456789ab…"),
        ("missing teacher file (student)", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --teacher {T}/missing.onnx --out {T}/r14",
            "teacher {T}/missing.onnx not found (--teacher takes the teacher's .onnx file or its 64-hex-digit SHA-256)"),
        ("recipe naming another teacher", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --recipe {T}/other-teacher.json --out {T}/r15",
            "cache {T}/tiny-train was made by teacher names-x-linear.onnx (sha256 {TSHA}…), not by the recipe's teacher sha256 {OSHA}…"),
        ("negative lr_decay", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --schedule step --lr-decay -0.5 --out {T}/r16",
            "--lr-decay must be in (0, 1]"),
        ("learning rate of 1e308", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --lr 1e308 --out {T}/r17",
            "--lr must be ≤ 10"),
        ("learning rate NaN", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --lr NaN --out {T}/r18",
            "--lr must be > 0"),
        ("momentum of 1.5", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --optimizer sgd --momentum 1.5 --out {T}/r19",
            "--momentum must be in [0, 1)"),
        ("batch above the bound", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --batch 1000000 --out {T}/r20",
            "--batch must be ≤ 65536"),
        ("memory budget below the bound", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --memory-budget-mb 0 --out {T}/r21",
            "--memory-budget-mb must be ≥ 16"),
        ("negative weight decay", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --loss kd --epochs 1 --weight-decay -1 --out {T}/r22",
            "--weight-decay must be in [0, 1]"),
        ("resume and overwrite together", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --resume --overwrite --out {T}/r23",
            "--resume continues the run in --out, --overwrite replaces it: give one of them"),
        ("overwrite without an output directory", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --overwrite",
            "--overwrite needs --out"),
        ("init-from a directory that is not a run", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --init-from {T}/tiny-test --out {T}/r24",
            "--init-from {T}/tiny-test: not a train-student run (no run.json)"),
        ("output directory holding a cache", "train-student", "--cache {T}/tiny-train --dataset idx:{F}/tiny-idx --student mlp:8 --epochs 1 --out {T}/tiny-test",
            "--out {T}/tiny-test holds a logits cache; choose another directory for the run"),
        ("batch size above the bound (teacher)", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o18 --batch 100000 --device cpu",
            "--batch must be at most 65536, got 100000"),
        ("row group of no rows", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o19 --row-group 0 --device cpu",
            "--row-group must be between 1 and 1048576 rows, got 0"),
        ("negative limit", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o20 --limit -5 --device cpu",
            "--limit must be 0 (all samples) or positive, got -5"),
        ("no views", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o21 --views 0 --device cpu",
            "--views must be between 1 and 1024, got 0"),
        ("zero scale", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o22 --scale 0 --device cpu",
            "--scale expects a nonzero number or fraction (e.g. 1/255 or 1), got '0'"),
        ("zero std", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o23 --mean 0.5 --std 0 --device cpu",
            "the preprocessing std (--std or the teacher card's) must be positive finite numbers, got scale=0.00392156862745098 mean=[0.5] std=[0]"),
        ("shard outside its sharding", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o24 --shard 3/2 --device cpu",
            "--shard expects k/n with 1 ≤ k ≤ n ≤ 100000 (e.g. 2/3), got '3/2'"),
        ("--resume with --overwrite", "precompute-logits", "--teacher {F}/names-x-linear.onnx --dataset idx:{F}/tiny-idx --split test --out {T}/o25 --resume --overwrite --device cpu",
            "--resume and --overwrite exclude each other"),
        ("a part file as the cache", "precompute-logits", "inspect {T}/tiny-train/part-00000.parquet",
            "cache {T}/tiny-train/part-00000.parquet is a file; a cache is the directory that holds its part-*.parquet files ({T}/tiny-train)"),
        ("bench without rounds", "precompute-logits", "bench --teacher {M}/fmnist-resnet/fmnist-resnet.onnx --repeats 0 --limit 10",
            "--repeats must be between 1 and 100, got 0"),
        ("negative compare tolerance", "precompute-logits", "compare {T}/tiny-train {T}/tiny-train --tolerance -1",
            "--tolerance must be a finite number ≥ 0, got -1"),
    }.Select(c => new object[] { c.Name, c.Tool, c.Args, c.Error });

    private static string Fill(string text) => text.Replace("{T}", _tmp).Replace("{F}", Tools.Fixtures)
        .Replace("{M}", Path.Combine(RepoRoot.Dir, "models")).Replace("{FP}", Fingerprint[..12])
        .Replace("{TSHA}", TinySha[..12]).Replace("{OSHA}", OtherSha[..12]);

    private static string Fingerprint = "";
    // SHA-256 of the tiny caches' teacher (names-x-linear.onnx) and of another fixture teacher (two-outputs.onnx).
    private static string TinySha = "", OtherSha = "";

    [ClassInitialize]
    public static async Task Setup(TestContext _)
    {
        _tmp = Tools.TempDir();
        File.WriteAllText(Path.Combine(_tmp, "notonnx.onnx"), "not a model");
        File.WriteAllText(Path.Combine(_tmp, "afile"), "a file where a folder is expected");
        File.WriteAllText(Path.Combine(_tmp, "bad-recipe.json"), """{"student":"mlp:8","loss":"kd","epochs":1,"colour":"red"}""");
        OtherSha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Tools.Fixtures, "two-outputs.onnx"))));
        File.WriteAllText(Path.Combine(_tmp, "other-teacher.json"), $$"""{"student":"mlp:8","loss":"kd","epochs":1,"teacher":"{{OtherSha}}"}""");
        foreach (var split in new[] { "train", "test" })
        {
            var r = ToolRunner.Run("precompute-logits", new[] { "--teacher", Path.Combine(Tools.Fixtures, "names-x-linear.onnx"),
                "--dataset", Tools.TinyIdx, "--split", split, "--mean", "0.5", "--std", "0.25", "--out", Path.Combine(_tmp, $"tiny-{split}"), "--device", "cpu" });
            Assert.AreEqual(0, r.Code, r.Stderr);
        }
        var top2 = ToolRunner.Run("precompute-logits", new[] { "--teacher", Path.Combine(Tools.Fixtures, "names-x-linear.onnx"),
            "--dataset", Tools.TinyIdx, "--split", "train", "--mean", "0.5", "--std", "0.25", "--out", Path.Combine(_tmp, "tiny-top2"), "--device", "cpu", "--top-k", "2" });
        Assert.AreEqual(0, top2.Code, top2.Stderr);
        using (var tiny = LogitCacheReader.Open(Path.Combine(_tmp, "tiny-train")))
        {
            Fingerprint = tiny.Metadata.Fingerprint;
            TinySha = tiny.Metadata.TeacherSha256;
            var b = await tiny.ReadRowGroupAsync(0);
            // Same data, but a NaN logit at sample 3, or a label the 3 classes cannot have.
            var nan = (float[])b.Logits.Clone(); nan[3 * 3 + 1] = float.NaN;
            await Write(Path.Combine(_tmp, "nan-cache"), tiny.Metadata, b.Index, b.Labels!, nan);
            var labels = (int[])b.Labels!.Clone(); labels[2] = 7;
            await Write(Path.Combine(_tmp, "bad-labels"), tiny.Metadata, b.Index, labels, b.Logits);
        }
        var full = File.ReadAllBytes(Path.Combine(_tmp, "tiny-train", "part-00000.parquet"));
        Directory.CreateDirectory(Path.Combine(_tmp, "truncated"));
        File.WriteAllBytes(Path.Combine(_tmp, "truncated", "part-00000.parquet"), full[..(full.Length / 2)]);
        await WriteWrongSchema(Path.Combine(_tmp, "wrong-schema"), tiny: Path.Combine(_tmp, "tiny-train"));
    }

    private static async Task Write(string dir, CacheMetadata meta, long[] index, int[] labels, float[] logits)
    {
        await using var w = await LogitCacheWriter.CreateAsync(dir, meta, overwrite: false);
        await w.WriteAsync(index, labels, logits);
        await w.CompleteAsync();
    }

    // A Parquet file with the cache's metadata but a float column where the logits list should be.
    private static async Task WriteWrongSchema(string dir, string tiny)
    {
        Directory.CreateDirectory(dir);
        Dictionary<string, string> kv;
        using (var c = LogitCacheReader.Open(tiny)) kv = c.Metadata.ToKeyValues();
        var index = new DataField<long>("index");
        var label = new DataField<int>("label");
        var logits = new DataField<float>("logits");
        using var stream = File.Create(Path.Combine(dir, "part-00000.parquet"));
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(index, label, logits), stream);
        writer.CustomMetadata = kv;
        using var rg = writer.CreateRowGroup();
        await rg.WriteAsync<long>(index, new long[] { 0, 1 }.AsMemory());
        await rg.WriteAsync<int>(label, new int[] { 0, 1 }.AsMemory());
        await rg.WriteAsync<float>(logits, new float[] { 1, 2 }.AsMemory());
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void GivesOneClearLineAndExitCodeOne(string name, string tool, string args, string error)
    {
        var result = ToolRunner.Run(tool, Fill(args).Split(' '));
        Assert.AreEqual(1, result.Code, $"{name}: exit code; stderr: {result.Stderr}");
        var errors = result.ErrorLines.Where(l => l.StartsWith("error:")).ToList();
        Assert.AreEqual(1, errors.Count, $"{name}: one error line expected, stderr: {result.Stderr}");
        Assert.AreEqual("error: " + Fill(error), errors[0], name);
        Assert.IsFalse(result.Stderr.Contains("   at "), $"{name}: no stack trace without --verbose");
    }

    [TestMethod]
    public void VerboseShowsTheStackTrace()
    {
        var r = ToolRunner.Run("precompute-logits", Fill("--teacher {T}/missing.onnx --out {T}/v1 --device cpu --verbose").Split(' '));
        Assert.AreEqual(1, r.Code);
        StringAssert.Contains(r.Stderr, "   at ");
    }
}
