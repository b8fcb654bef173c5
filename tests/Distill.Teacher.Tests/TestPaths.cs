namespace Distill.Teacher.Tests;

internal static class TestPaths
{
    public static string FmnistTeacher => Path.Combine(RepoRoot.Dir, "models", "fmnist-resnet", "fmnist-resnet.onnx");
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);
    public static string TinyIdx => "idx:" + Fixture("tiny-idx");

    public static string TempDir() => TempFolder.Create("distill-teacher-tests");

    /// <summary>
    /// Rows an interrupted run left complete in part <paramref name="part"/>'s work folder (its renamed segments): what a
    /// resume must keep, so it computes only the rest.
    /// </summary>
    public static long SegmentRows(string cacheDir, int part = 0)
    {
        var work = Distill.Cache.CachePartWriter.WorkDirectoryFor(cacheDir, part);
        if (!Directory.Exists(work)) return 0;
        long rows = 0;
        foreach (var seg in Directory.GetFiles(work, "seg-*.parquet"))
            using (var r = Distill.Cache.LogitCacheReader.Open(seg)) rows += r.RowCount;
        return rows;
    }
}
