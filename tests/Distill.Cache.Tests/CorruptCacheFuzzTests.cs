using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Distill.Data;
using Parquet;

namespace Distill.Cache.Tests;

/// <summary>
/// The reader survives corrupt input and never hands out what was not written: random byte flips, truncations and
/// splices of real cache files (float32, float16, top-k, and one with views and an extra dense output), and every
/// single byte of the data pages flipped in turn, never hang, never throw anything but <see cref="DistillException"/>,
/// and every file that is not refused reads back equal to the original, values and metadata.
/// </summary>
[TestClass]
public sealed class CorruptCacheFuzzTests
{
    private const int CasesPerEncoding = 400;

    // Top-K uncompressed (the page walk below reads the pages' layout) and compressed as top-K caches are by default.
    private static CacheEncoding EncodingOf(string dtype) => dtype switch
    {
        "float16" => CacheEncoding.Float16,
        "topk" => CacheEncoding.TopKOf(3) with { Dtype = StoredFloat.Float16, Compression = CacheCompression.None },
        "topk-zstd" => CacheEncoding.TopKOf(3),
        _ => CacheEncoding.Float32,
    };

    private static Task<string> WriteAsync(string dtype, string dir, int rows, int classes, int rowGroup) => dtype == "views+extra"
        ? CacheFixtures.WriteWithViewsAndExtraOutputAsync(dir, rows, classes, rowGroup)
        : CacheFixtures.WriteAsync(dir, rows, classes, rowGroup, encoding: EncodingOf(dtype));

    [TestMethod]
    [DataRow("float32")] [DataRow("float16")] [DataRow("topk")] [DataRow("topk-zstd")] [DataRow("views+extra")]
    public async Task MutatedFilesAreRefusedOrReadBackEqual(string dtype)
    {
        var source = CacheFixtures.TempDir();
        var original = File.ReadAllBytes(await WriteAsync(dtype, source, 200, 10, 64));
        var expected = Digest(source) ?? throw new AssertFailedException("the original must read");
        var rng = new Random(dtype.Length * 7919 + dtype[0]); // stable across runs (string hashes are not)
        var dir = CacheFixtures.TempDir();
        int equal = 0, refused = 0;
        for (int i = 0; i < CasesPerEncoding; i++)
        {
            var bytes = Mutate(original, rng);
            switch (await Attempt(dir, bytes, $"{dtype}-{i}"))
            {
                case null: refused++; break;
                case var d when d.SequenceEqual(expected): equal++; break;
                default: Fail(bytes, $"fuzz-{dtype}-{i}", $"{dtype} case {i}: the reader accepted the file and read other values or metadata than were written");
                    break;
            }
        }
        Assert.AreEqual(CasesPerEncoding, equal + refused);
        Assert.IsTrue(refused > CasesPerEncoding / 4, $"only {refused} of {CasesPerEncoding} mutations were refused: the mutations are too weak");
    }

    /// <summary>
    /// Every byte between the leading magic and the footer (page headers and page data of every column chunk) flipped
    /// in turn. Each flip is refused or reads back equal. The ones that read back equal lie in page headers (the
    /// Thrift struct before a page's data: statistics and sizes the decoder does not depend on), in a list's level
    /// runs (a run made longer than the values left in the page: the decoder stops at the page's value count), or in the
    /// layout of a DELTA_BINARY_PACKED page (block size, bit widths, padding: Parquet.Net decodes some changes there to
    /// the same values), never in a bit that holds a value (a first value, a min delta, a delta).
    /// </summary>
    [TestMethod]
    [DataRow("float32")] [DataRow("float16")] [DataRow("topk")] [DataRow("views+extra")]
    public async Task EveryFlippedDataPageByteIsRefusedOrHarmless(string dtype)
    {
        var source = CacheFixtures.TempDir();
        var file = await WriteAsync(dtype, source, 16, 3, 8);
        var original = File.ReadAllBytes(file);
        var expected = Digest(source)!;
        var pages = await PageSections(file, original);
        int footerStart = original.Length - 8 - BinaryPrimitives.ReadInt32LittleEndian(original.AsSpan(original.Length - 8));
        var rng = new Random(dtype.Length * 31 + dtype[^1]);
        var dir = CacheFixtures.TempDir();
        int refused = 0, inHeaders = 0, inLevels = 0, inDeltaLayout = 0;
        for (int at = 4; at < footerStart; at++)
        {
            var bytes = (byte[])original.Clone();
            bytes[at] ^= (byte)rng.Next(1, 256);
            var digest = await Attempt(dir, bytes, $"{dtype}-byte-{at}");
            if (digest == null) { refused++; continue; }
            if (!digest.SequenceEqual(expected)) Fail(bytes, $"flip-{dtype}-{at}", $"{dtype}: flipping byte {at} was accepted and read other values");
            var page = pages.Single(p => at >= p.Start && at < p.End);
            if (at < page.Levels) inHeaders++;
            else if (at < page.Values) inLevels++;
            else if (page.Delta && (DeltaValueBits(original, (int)page.Values).GetValueOrDefault(at) & (original[at] ^ bytes[at])) == 0) inDeltaLayout++;
            else Fail(bytes, $"flip-{dtype}-{at}", $"{dtype}: flipping byte {at}, inside the values of {page.Column}, went unnoticed");
        }
        Console.WriteLine($"{dtype}: {footerStart - 4} bytes flipped one at a time: {refused} refused, harmless {inHeaders} in page headers, {inLevels} in level runs and {inDeltaLayout} in DELTA layout");
        Assert.IsTrue(refused > inHeaders + inLevels + inDeltaLayout, "most flips must be refused");
    }

    private static async Task<byte[]?> Attempt(string dir, byte[] bytes, string name)
    {
        File.WriteAllBytes(Path.Combine(dir, "part-00000.parquet"), bytes);
        var attempt = Task.Run(() => Digest(dir));
        if (await Task.WhenAny(attempt, Task.Delay(TimeSpan.FromSeconds(30))) != attempt)
            Fail(bytes, name, $"{name}: the reader hung");
        try { return await attempt; }
        catch (DistillException) { return null; }
        catch (Exception e) { Fail(bytes, name, $"{name}: {e.GetType().Name}: {e.Message}"); return null; }
    }

    private static void Fail(byte[] bytes, string name, string message)
    {
        File.WriteAllBytes(Path.Combine(Path.GetTempPath(), name + ".parquet"), bytes);
        Assert.Fail($"{message} (input saved as {name}.parquet in the temp folder)");
    }

    // SHA-256 of everything a consumer gets: the metadata (but its time stamp) and every column of every row.
    private static byte[] Digest(string dir)
    {
        using var cache = LogitCacheReader.Open(dir);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (k, v) in cache.Metadata.ToKeyValues().Where(p => p.Key != "distill.created_utc" && p.Key != CacheMetadata.MetadataChecksumKey).OrderBy(p => p.Key, StringComparer.Ordinal))
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(k + "=" + v + "\n"));
        void Add<T>(T[]? values) where T : unmanaged { if (values != null) sha.AppendData(MemoryMarshal.AsBytes(values.AsSpan())); }
        for (int g = 0; g < cache.RowGroupCount; g++)
        {
            var b = cache.ReadRowGroupAsync(g).GetAwaiter().GetResult();
            Add(b.Index); Add(b.Labels); Add(b.Logits); Add(b.Views); Add(b.CropX); Add(b.CropY); Add(b.Flip);
            if (b.EncodedColumn(0) is TopKRows t) { Add(t.Index); Add(t.Values); Add(t.LogSumExp); Add(t.LabelLogit); Add(t.Mean); Add(t.Std); }
            foreach (var e in b.Extra) Add(e);
        }
        return sha.GetHashAndReset();
    }

    // Every column chunk of these files is one data page (v1, uncompressed): [Start, Levels) its header,
    // [Levels, Values) its length-prefixed repetition and definition level runs (lists only), [Values, End) its values.
    // The header's length is found by walking its Thrift struct; its field 3 (compressed_page_size) is the rest. For a
    // DELTA_BINARY_PACKED page, Delta is set.
    private static async Task<List<(string Column, long Start, long Levels, long Values, long End, bool Delta)>> PageSections(string file, byte[] bytes)
    {
        var pages = new List<(string, long, long, long, long, bool)>();
        using var stream = File.OpenRead(file);
        await using var reader = await ParquetReader.CreateAsync(stream);
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            foreach (var f in reader.Schema.DataFields)
            {
                var meta = rg.GetMetadata(f)!.MetaData!;
                long start = meta.DictionaryPageOffset ?? meta.DataPageOffset, end = start + meta.TotalCompressedSize;
                int headerLength = ThriftStructLength(bytes, (int)start, out int compressedPageSize);
                Assert.AreEqual(end, start + headerLength + compressedPageSize, $"{f.Path}: one page per chunk");
                long levels = start + headerLength, values = levels;
                foreach (var max in new[] { f.MaxRepetitionLevel, f.MaxDefinitionLevel })
                    if (max > 0) values += 4 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)values));
                pages.Add((f.Path.ToString(), start, levels, values, end, meta.Encodings.Contains(Parquet.Meta.Encoding.DELTA_BINARY_PACKED)));
            }
        }
        return pages;
    }

    // The bits of a DELTA_BINARY_PACKED page (values from p) that hold values, by byte, as the Parquet format lays them
    // out: a header (block size, miniblocks per block, value count: layout; the first value: a value), then per block
    // the min delta (a value), one bit width per miniblock (layout) and the miniblocks values need, each
    // block size / miniblocks deltas at its width, LSB first (padding after the last value: layout). A flip in layout
    // may or may not change what a lenient decoder makes of the page; a flip in a value bit always does.
    private static Dictionary<int, int> DeltaValueBits(byte[] b, int p)
    {
        var bits = new Dictionary<int, int>();
        ulong Varint(bool value)
        {
            ulong v = 0;
            for (int s = 0; ; s += 7)
            {
                if (value) bits[p] = 0xFF;
                byte x = b[p++];
                v |= (ulong)(x & 0x7F) << s;
                if ((x & 0x80) == 0) return v;
            }
        }
        int blockSize = (int)Varint(false), miniblocks = (int)Varint(false);
        long remaining = (long)Varint(false) - 1;
        Varint(true);   // first value
        int perMini = blockSize / miniblocks;
        while (remaining > 0)
        {
            Varint(true);   // min delta
            int widths = p;
            p += miniblocks;
            for (int m = 0; m < miniblocks && remaining > 0; m++)
            {
                int width = b[widths + m];
                long used = Math.Min(perMini, remaining) * width;
                for (int i = 0; i < perMini * width / 8; i++)
                    bits[p + i] = used >= 8 * (i + 1) ? 0xFF : used > 8 * i ? (1 << (int)(used - 8 * i)) - 1 : 0;
                p += perMini * width / 8;
                remaining -= perMini;
            }
        }
        return bits;
    }

    // Length of the Thrift compact struct at `at` (a PageHeader), and its field 3 (i32 compressed_page_size).
    private static int ThriftStructLength(byte[] b, int at, out int field3)
    {
        int p = at, f3 = -1;
        ulong Varint() { ulong v = 0; for (int s = 0; ; s += 7) { byte x = b[p++]; v |= (ulong)(x & 0x7F) << s; if ((x & 0x80) == 0) return v; } }
        long ZigZag() { ulong v = Varint(); return (long)(v >> 1) ^ -(long)(v & 1); }
        void Skip(int type, int depth)
        {
            switch (type)
            {
                case 1: case 2: break;                              // booleans live in the field header
                case 3: p++; break;
                case 4: case 5: case 6: Varint(); break;
                case 7: p += 8; break;
                case 8: int length = (int)Varint(); p += length; break;   // (not p += Varint(): p would be read first)
                case 9: case 10:
                    byte h = b[p++]; long n = h >> 4 == 15 ? (long)Varint() : h >> 4;
                    for (long i = 0; i < n; i++) { if ((h & 0x0F) is 1 or 2) p++; else Skip(h & 0x0F, depth + 1); }
                    break;
                case 12: Struct(depth + 1); break;
                default: throw new InvalidDataException($"Thrift type {type}");
            }
        }
        void Struct(int depth)
        {
            short id = 0;
            while (true)
            {
                byte h = b[p++];
                if (h == 0) return;
                id = h >> 4 == 0 ? (short)ZigZag() : (short)(id + (h >> 4));
                if (depth == 0 && id == 3 && (h & 0x0F) == 5) f3 = (int)ZigZag();
                else Skip(h & 0x0F, depth);
            }
        }
        Struct(0);
        field3 = f3;
        return p - at;
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
