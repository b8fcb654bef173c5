using Distill.Data;

namespace Distill.Cache.Tests;

/// <summary>
/// The reader survives corrupt input: thousands of random byte flips, truncations and splices of real cache files
/// (float32, float16, top-k, and one with views and an extra dense output) never hang and never throw anything but <see cref="DistillException"/>.
/// </summary>
[TestClass]
public sealed class CorruptCacheFuzzTests
{
    private const int CasesPerEncoding = 1000;

    [TestMethod]
    [DataRow("float32")] [DataRow("float16")] [DataRow("topk")] [DataRow("views+extra")]
    public async Task MutatedFilesFailOnlyWithOurError(string dtype)
    {
        var encoding = dtype switch { "float16" => CacheEncoding.Float16, "topk" => CacheEncoding.TopKOf(3), _ => CacheEncoding.Float32 };
        var source = CacheFixtures.TempDir();
        var original = File.ReadAllBytes(dtype == "views+extra"
            ? await CacheFixtures.WriteWithViewsAndExtraOutputAsync(source, 300, 10, 64)
            : await CacheFixtures.WriteAsync(source, 300, 10, 64, encoding: encoding));
        var rng = new Random(dtype.Length * 7919 + dtype[0]); // stable across runs (string hashes are not)
        var dir = CacheFixtures.TempDir();
        var path = Path.Combine(dir, "part-00000.parquet");
        int readable = 0, refused = 0;
        for (int i = 0; i < CasesPerEncoding; i++)
        {
            var bytes = Mutate(original, rng);
            File.WriteAllBytes(path, bytes);
            var attempt = Task.Run(() => ReadEverything(dir));
            if (await Task.WhenAny(attempt, Task.Delay(TimeSpan.FromSeconds(30))) != attempt)
            {
                File.WriteAllBytes(Path.Combine(Path.GetTempPath(), $"fuzz-{dtype}-{i}.parquet"), bytes);
                Assert.Fail($"{dtype} case {i}: the reader hung (input saved as fuzz-{dtype}-{i}.parquet in the temp folder)");
            }
            var outcome = await attempt;
            if (outcome is null) readable++;
            else if (outcome is DistillException) refused++;
            else
            {
                File.WriteAllBytes(Path.Combine(Path.GetTempPath(), $"fuzz-{dtype}-{i}.parquet"), bytes);
                Assert.Fail($"{dtype} case {i}: {outcome.GetType().Name}: {outcome.Message}");
            }
        }
        Assert.AreEqual(CasesPerEncoding, readable + refused);
        Assert.IsTrue(refused > CasesPerEncoding / 4, $"only {refused} of {CasesPerEncoding} mutations were refused: the mutations are too weak");
    }

    private static Exception? ReadEverything(string dir)
    {
        try
        {
            using var cache = LogitCacheReader.Open(dir);
            for (int g = 0; g < cache.RowGroupCount; g++) cache.ReadRowGroupAsync(g).GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e) { return e; }
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var b = (byte[])original.Clone();
        switch (rng.Next(5))
        {
            case 0: // a few random bytes anywhere
                for (int k = rng.Next(1, 8); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return b;
            case 1: // bytes in the footer (metadata, schema, offsets)
                int tail = Math.Min(b.Length, 2000);
                for (int k = rng.Next(1, 4); k > 0; k--) b[b.Length - 1 - rng.Next(tail)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 2: // truncation
                return b[..rng.Next(b.Length)];
            case 3: // a block of zeros or 0xFF
                int at = rng.Next(b.Length), len = Math.Min(rng.Next(1, 64), b.Length - at);
                b.AsSpan(at, len).Fill(rng.Next(2) == 0 ? (byte)0 : (byte)0xFF);
                return b;
            default: // a chunk duplicated elsewhere (splice)
                int from = rng.Next(b.Length), to = rng.Next(b.Length), n = Math.Min(rng.Next(1, 200), Math.Min(b.Length - from, b.Length - to));
                b.AsSpan(from, n).ToArray().CopyTo(b.AsSpan(to));
                return b;
        }
    }
}
