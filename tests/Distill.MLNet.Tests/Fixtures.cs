using System.IO.Compression;
using Distill.Cache;
using Distill.Data;
using Distill.Teacher;
using DuckDB.NET.Data;

namespace Distill.MLNet.Tests;

/// <summary>Paths, small caches and the independent readers the tests compare against.</summary>
internal static class Fixtures
{
    public static string FmnistTeacher => Path.Combine(RepoRoot.Dir, "models", "fmnist-resnet", "fmnist-resnet.onnx");
    public static TeacherCard FmnistCard => TeacherCard.Load(TeacherCard.PathFor(FmnistTeacher));
    public static string DenseHeads => Path.Combine(AppContext.BaseDirectory, "fixtures", "dense-heads.onnx");
    public static string TinyIdx => "idx:" + Path.Combine(AppContext.BaseDirectory, "fixtures", "tiny-idx");
    public const string FmnistDir = "/usr/share/datasets/fashion-mnist";

    public static string TempDir() => TempFolder.Create("distill-mlnet-tests");

    /// <summary>A cache of the first <paramref name="limit"/> Fashion-MNIST samples of <paramref name="split"/>, written as precompute-logits writes it.</summary>
    public static async Task<string> FmnistCacheAsync(int limit, string split = "train", int rowGroup = 2048, CacheEncoding? encoding = null)
    {
        var dir = TempDir();
        var card = FmnistCard;
        await LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = FmnistTeacher, Dataset = DatasetCatalog.Open("fashion-mnist", split), Preprocessing = PreprocessingFlags.None.Require(card, FmnistTeacher).Value,
            OutputDirectory = dir, Limit = limit, RowGroupSize = rowGroup, BatchSize = Math.Min(rowGroup, 256), Threads = 2,
            Device = ExecutionDevice.Cpu, ClassNames = card.Classes, Encoding = encoding ?? CacheEncoding.Float32,
        });
        return dir;
    }

    /// <summary>The IDX files read here with nothing but gzip: pixels [N·28·28] and labels [N].</summary>
    public static (byte[] Pixels, byte[] Labels) ReadIdx(string split)
    {
        string prefix = split == "train" ? "train" : "t10k";
        static byte[] Payload(string path, int header)
        {
            using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var all = new MemoryStream();
            gz.CopyTo(all);
            return all.ToArray()[header..];
        }
        return (Payload(Path.Combine(FmnistDir, $"{prefix}-images-idx3-ubyte.gz"), 16), Payload(Path.Combine(FmnistDir, $"{prefix}-labels-idx1-ubyte.gz"), 8));
    }

    /// <summary>Rows of a query over every part file of a cache, read by DuckDB.</summary>
    public static List<object[]> DuckDb(string cacheDir, string selectFrom)
    {
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = selectFrom.Replace("CACHE", $"read_parquet('{Path.Combine(cacheDir, "part-*.parquet").Replace("'", "''")}')");
        using var reader = cmd.ExecuteReader();
        var rows = new List<object[]>();
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>A DuckDB FLOAT[] value as floats.</summary>
    public static float[] Floats(object list) => ((System.Collections.IEnumerable)list).Cast<object>().Select(Convert.ToSingle).ToArray();
}
