// A full pass over a cache's `logits` (every value summed) through LoadFromLogitCache's cursor and through the
// toolkit's reader (LogitCacheReader.ReadRowGroupAsync), alternating for --rounds rounds in this one process; prints
// each side's best and median time, rows/s, and the speed ratio ML.NET ÷ reader (goal ≥ 0.5). Then a pass that forces
// a full garbage collection every 512 rows to measure the memory the cursor keeps alive, against one row group and the
// whole cache. Usage: MlNetCacheBench --cache DIR [--rounds N]
using System.Diagnostics;
using System.Globalization;
using Distill.Cache;
using Distill.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

string? cacheDir = null;
int rounds = 5;
for (int i = 0; i + 1 < args.Length; i += 2)
    switch (args[i])
    {
        case "--cache": cacheDir = args[i + 1]; break;
        case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown flag {args[i]}"); return 1;
    }
if (cacheDir is null) { Console.Error.WriteLine("usage: MlNetCacheBench --cache DIR [--rounds N]"); return 1; }

var ml = new MLContext(seed: 0);
var clock = Stopwatch.StartNew();
var view = ml.Data.LoadFromLogitCache(cacheDir);
double load = clock.Elapsed.TotalSeconds;
var meta = view.Metadata;
long rows = view.RowCount;
int width = meta.Width, groups;
long groupRows;
using (var r = LogitCacheReader.Open(cacheDir)) { groups = r.RowGroupCount; groupRows = Enumerable.Range(0, groups).Max(r.RowGroupRows); }
Console.WriteLine($"cache {cacheDir}: {rows:N0} rows × {width} logits ({meta.LogitsCodec.Describe(meta.Outputs[0])}), {groups} row groups of ≤ {groupRows:N0} rows; LoadFromLogitCache {load * 1000:F0} ms (opens, checks coverage)");

double ReaderPass(out double sum)
{
    var t = Stopwatch.StartNew();
    sum = 0;
    using var reader = LogitCacheReader.Open(cacheDir);
    for (int g = 0; g < reader.RowGroupCount; g++)
    {
        var batch = reader.ReadRowGroupAsync(g).GetAwaiter().GetResult();
        foreach (var v in batch.Logits.AsSpan(0, batch.Rows * batch.Width)) sum += v;
    }
    return t.Elapsed.TotalSeconds;
}

double ViewPass(out double sum, Action? everyRow = null)
{
    var t = Stopwatch.StartNew();
    sum = 0;
    var column = view.Schema["logits"];
    using var cursor = view.GetRowCursor(new[] { column });
    var getter = cursor.GetGetter<VBuffer<float>>(column);
    var value = default(VBuffer<float>);
    while (cursor.MoveNext())
    {
        getter(ref value);
        foreach (var v in value.GetValues()) sum += v;
        everyRow?.Invoke();
    }
    return t.Elapsed.TotalSeconds;
}

ReaderPass(out _); ViewPass(out _);   // warm-up: JIT, file cache
var readerTimes = new List<double>();
var viewTimes = new List<double>();
for (int round = 0; round < rounds; round++)
{
    readerTimes.Add(ReaderPass(out double a));
    viewTimes.Add(ViewPass(out double b));
    if (a != b) { Console.Error.WriteLine($"the two passes disagree: sum {a} vs {b}"); return 1; }
}
static double Median(List<double> x) { var s = x.Order().ToList(); return s[s.Count / 2]; }
string Line(string name, List<double> t) => FormattableString.Invariant($"{name,-22} best {t.Min() * 1000,8:F1} ms  median {Median(t) * 1000,8:F1} ms  {rows / t.Min(),12:N0} rows/s");
Console.WriteLine(Line("LogitCacheReader", readerTimes));
Console.WriteLine(Line("LoadFromLogitCache", viewTimes));
Console.WriteLine(FormattableString.Invariant($"speed ratio ML.NET / reader: best {readerTimes.Min() / viewTimes.Min():F3}, median {Median(readerTimes) / Median(viewTimes):F3}  (goal ≥ 0.5)"));

// Live memory (a full collection before each reading): after the first row (the open cache, its first row group and
// the one read ahead, Parquet's pooled buffers) and the most seen at any later row, every 512 rows. Streaming keeps the
// second near the first; a cursor that loaded the cache would grow by the whole cache.
long baseline = GC.GetTotalMemory(forceFullCollection: true), first = -1, peak = 0, seen = 0;
ViewPass(out _, () =>
{
    if (seen++ % 512 != 0) return;
    long live = GC.GetTotalMemory(forceFullCollection: true) - baseline;
    if (first < 0) first = live;
    peak = Math.Max(peak, live);
});
long rowBytes = 4L * (width + meta.Outputs.Skip(1).Sum(o => o.Width)) + 8 + (meta.HasLabels ? 4 : 0) + (meta.HasViews ? 16 : 0);
Console.WriteLine(FormattableString.Invariant(
    $"live memory: {first / 1024.0:N0} KiB after the first row, at most {peak / 1024.0:N0} KiB during the pass (growth {(peak - first) / 1024.0:N0} KiB); one row group {groupRows * rowBytes / 1024.0:N0} KiB, the whole cache {rows * rowBytes / 1024.0:N0} KiB (decoded)"));
return 0;
