using Distill.Cache;
using Distill.Data;

namespace Distill.Student.Training;

/// <summary>
/// Opens the train cache and its dataset (the spec stored in the cache unless given), refuses a mismatch with one
/// clear message, and opens the test split (plus the optional test cache) for evaluation. The cache's first output may
/// be class logits or a dense output (a segmentation map); the objective's terms check what they pair.
/// </summary>
public sealed class TrainingData : IDisposable
{
    public required LogitCacheReader Cache { get; init; }
    public required IDataset Train { get; init; }
    public IDataset? Test { get; init; }
    public LogitCacheReader? TestCache { get; init; }
    public required Preprocessing Preprocessing { get; init; }
    /// <summary>Why there is no test evaluation, when there is none.</summary>
    public string? NoTestReason { get; init; }

    public int ClassCount => Cache.Metadata.ClassCount;

    /// <param name="testDatasetSpec">
    /// Evaluate on this dataset instead of the training dataset's test split (<see cref="DatasetCatalog.OpenTestSplit"/>):
    /// e.g. test images of your own next to an <c>npy:</c> training set, which has no test split.
    /// </param>
    public static TrainingData Open(string cacheDir, string? datasetSpec, string split = "train", string? testCacheDir = null,
        string? testDatasetSpec = null)
    {
        var cache = LogitCacheReader.Open(cacheDir);
        try
        {
            var m = cache.Metadata;
            string spec = datasetSpec ?? m.DatasetName;
            // Folder datasets are labelled by the teacher's classes, as precompute-logits labelled them.
            var options = new DatasetOptions { TeacherClasses = m.ClassNames };
            var train = DatasetCatalog.Open(spec, split, options);
            CheckTrain(cache, train, cacheDir);
            IDataset? test = null; string? why = null; LogitCacheReader? testCache = null;
            if (testDatasetSpec is not null)
            {
                // Asked for: every problem with it is an error, not a reason to skip evaluation.
                test = DatasetCatalog.OpenTestSplit(testDatasetSpec, options);
                if (!test.HasLabels && DenseTargetBatches.Provided(test).Count == 0)
                    throw new DistillException($"--test-dataset {testDatasetSpec} has no labels, masks or boxes to evaluate against");
                if (!test.SampleShape.SequenceEqual(train.SampleShape))
                    throw new DistillException($"--test-dataset {testDatasetSpec} has samples [{string.Join(",", test.SampleShape)}], the training data [{string.Join(",", train.SampleShape)}]");
                if (test.ClassCount is int k && k > m.ClassCount)
                    throw new DistillException($"--test-dataset {testDatasetSpec} has labels up to {k - 1}; the teacher has {m.ClassCount} classes");
            }
            else
            {
                try { test = DatasetCatalog.Open(spec, "test", options); }
                catch (DistillException e) { why = e.Message; }
                // Scenes are scored against their masks and boxes instead of labels.
                if (test is not null && !test.HasLabels && DenseTargetBatches.Provided(test).Count == 0) { why = $"{spec} test has no labels, masks or boxes"; test = null; }
            }
            if (testCacheDir is not null)
            {
                if (test is null) throw new DistillException($"--test-cache given but the test split cannot be read: {why}");
                testCache = LogitCacheReader.Open(testCacheDir);
                testCache.Verify(test);
                if (testCache.Metadata.HasViews)
                    throw new DistillException($"test cache {testCacheDir} holds augmented views; evaluation needs the plain test split (precompute it without --views/--augment)");
                if (testCache.Metadata.ClassCount != m.ClassCount)
                    throw new DistillException($"test cache has {testCache.Metadata.ClassCount} classes, train cache {m.ClassCount}");
                if (!TeacherCheck.TeacherShas(testCache.Metadata).SequenceEqual(TeacherCheck.TeacherShas(m)))
                    throw new DistillException($"test cache {testCacheDir} was made by another teacher than {cacheDir}");
            }
            return new TrainingData { Cache = cache, Train = train, Test = test, TestCache = testCache, Preprocessing = m.Preprocessing, NoTestReason = why };
        }
        catch { cache.Dispose(); throw; }
    }

    /// <summary>
    /// The train cache with a train split the caller opened (Distill.MLNet: an ML.NET IDataView), checked as
    /// <see cref="Open(string, string?, string, string?, string?)"/> checks it; no test split. The caller keeps
    /// <paramref name="train"/>: dispose <see cref="Cache"/> when done, not this.
    /// </summary>
    public static TrainingData OpenWith(string cacheDir, IDataset train)
    {
        var cache = LogitCacheReader.Open(cacheDir);
        try
        {
            CheckTrain(cache, train, cacheDir);
            return new TrainingData { Cache = cache, Train = train, Preprocessing = cache.Metadata.Preprocessing, NoTestReason = "no test split given" };
        }
        catch { cache.Dispose(); throw; }
    }

    private static void CheckTrain(LogitCacheReader cache, IDataset train, string cacheDir)
    {
        var m = cache.Metadata;
        cache.Verify(train);
        if (cache.RowCount > (long)train.Count * m.Views)
            throw new DistillException($"cache {cacheDir} holds {cache.RowCount} rows for {train.Count} samples × {m.Views} views");
    }

    public void Dispose()
    {
        Cache.Dispose();
        TestCache?.Dispose();
        (Train as IDisposable)?.Dispose();
        (Test as IDisposable)?.Dispose();
    }
}
