using System.Text;
using Distill.Cache;

// CacheToNpy CACHE OUTDIR
// Writes OUTDIR/NAME.npy for each cached output (float32, [N, ...shape], row i = dataset sample i; float16 columns as
// the reader decodes them) and OUTDIR/labels.npy (int64) when the cache has labels: the teacher's outputs as the student
// stage reads them, for bench/multitask/torch_multitask.py (Debian's Python has no pyarrow).
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: CacheToNpy CACHE OUTDIR");
    return 2;
}
using var cache = await LogitCacheReader.OpenAsync(args[0]);
var outputs = cache.Metadata.Outputs;
long n = cache.Metadata.DatasetCount;
if (cache.RowCount != n)
{
    Console.Error.WriteLine($"error: cache {args[0]} holds {cache.RowCount} rows of {n} samples; dump a complete cache");
    return 1;
}
var widths = outputs.Select(o => o.Shape.Aggregate(1, (a, b) => a * b)).ToArray();
var columns = widths.Select(w => new float[n * w]).ToArray();
long[]? labels = null;
await foreach (var b in cache.ReadAllAsync())
    for (int r = 0; r < b.Rows; r++)
    {
        long i = b.Index[r];
        for (int j = 0; j < outputs.Count; j++)
            (j == 0 ? b.Logits : b.Extra[j - 1]).AsSpan(r * widths[j], widths[j]).CopyTo(columns[j].AsSpan((int)(i * widths[j])));
        if (b.Labels is not null) (labels ??= new long[n])[i] = b.Labels[r];
    }
Directory.CreateDirectory(args[1]);
for (int j = 0; j < outputs.Count; j++)
    Write(Path.Combine(args[1], outputs[j].Name + ".npy"), "<f4", new[] { n }.Concat(outputs[j].Shape.Select(d => (long)d)).ToArray(),
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(columns[j].AsSpan()).ToArray());
if (labels is not null)
    Write(Path.Combine(args[1], "labels.npy"), "<i8", new[] { n }, System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()).ToArray());
Console.WriteLine($"{args[0]}: {n} rows of {string.Join(", ", outputs.Select(o => $"{o.Name} [{string.Join(", ", o.Shape)}]"))} -> {args[1]}");
return 0;

// NumPy's format 1.0: magic, version, header length, a dict padded with spaces to a multiple of 64 bytes, then the data.
static void Write(string path, string dtype, long[] shape, byte[] data)
{
    string dict = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
    int total = 10 + dict.Length + 1;
    string header = dict + new string(' ', (64 - total % 64) % 64) + "\n";
    using var f = File.Create(path + ".tmp");
    f.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
    f.Write(BitConverter.GetBytes((ushort)header.Length));
    f.Write(Encoding.ASCII.GetBytes(header));
    f.Write(data);
    f.Close();
    File.Move(path + ".tmp", path, overwrite: true);
}
