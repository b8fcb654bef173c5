using System.Diagnostics;
using System.Text.Json;
using Distill.Student.Losses;
using static TorchSharp.torch;

// Forward+backward of our kd, dkd and dist at the benchmark shapes, float32, the same loop as
// bench/losses/seed_losses.py (gradients accumulate into the leaf; warm-up, then the median of R timed blocks).
// Usage: LossBench [--iters N] [--repeats R] [--threads T]
int iters = 300, repeats = 7, threads = 2;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--iters": iters = int.Parse(args[i + 1]); break;
        case "--repeats": repeats = int.Parse(args[i + 1]); break;
        case "--threads": threads = int.Parse(args[i + 1]); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
set_num_threads(threads);

var recipes = new (string Name, LossParameters Options)[]
{
    ("kd", new KdParameters { Temperature = 4 }),
    ("dkd", new DkdParameters { Alpha = 1, Beta = 8, Temperature = 4 }),
    ("dist", new DistParameters { Beta = 2, Gamma = 2, Temperature = 4 }),
};

foreach (var (b, c) in new[] { (128, 10), (256, 1000) })
{
    manual_seed(b * 7 + c);
    var s = (randn(b, c) * 3).requires_grad_(true);
    var t = randn(b, c) * 3;
    var y = randint(0, c, new long[] { b });
    var teacher = TeacherTargets.FromLogits(t);
    foreach (var (name, options) in recipes)
    {
        var loss = LossRegistry.Create(name, options);
        var batch = new LossBatch(s, teacher, y, Epoch: 1);
        void Step()
        {
            using var scope = NewDisposeScope();
            loss.Forward(batch).backward();
        }
        int n = c <= 100 ? iters : Math.Max(50, iters / 3);
        for (int w = 0; w < Math.Max(20, n / 5); w++) Step();
        var samples = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int k = 0; k < n; k++) Step();
            samples.Add(sw.Elapsed.TotalMicroseconds / n);
        }
        samples.Sort();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            impl = "torchsharp", loss = name, B = b, C = c,
            us = Math.Round(samples[samples.Count / 2], 2), us_min = Math.Round(samples[0], 2),
        }));
    }
}
return 0;
