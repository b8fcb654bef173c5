using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Distill.Data.Scenes;

/// <summary>
/// Writes Fashion-MNIST scenes in the YOLO layout: <c>images/{split}/NNNNNN.png</c>,
/// <c>labels/{split}/NNNNNN.txt</c> (<c>class cx cy w h</c> per visible garment, normalized to [0, 1]),
/// <c>masks/{split}/NNNNNN.png</c> (class index per pixel, 0 = background, class + 1 for a garment), <c>classes.txt</c>
/// (one class name per line) and <c>scenes.json</c> (how it was made). Everything is written into <c>DIR.tmp</c> and
/// renamed to DIR when complete, so DIR is either absent or whole.
/// </summary>
public static class SceneWriter
{
    public static readonly string[] FashionMnistClasses =
        { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };

    public sealed record Split(string Name, IDataset Source, int Count);

    /// <param name="progress">Called with (split, canvases written so far) now and then.</param>
    public static void Write(string directory, long seed, IReadOnlyList<Split> splits, string[] classes, bool overwrite,
        int threads, Action<string, int>? progress = null)
    {
        directory = Path.GetFullPath(directory);
        if (Directory.Exists(directory) && !overwrite)
            throw new DistillException($"{directory} already exists; pass --overwrite to replace it");
        string parent = Path.GetDirectoryName(directory)!;
        // One writer per target: a second generator for the same folder is refused instead of mixing files.
        using var writeLock = OutputLock.Acquire(parent, $"folder {parent}", $".{Path.GetFileName(directory)}.lock");
        string tmp = directory + ".tmp";
        try
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);   // left by a killed run: ours (we hold the lock)
            foreach (var s in splits) WriteSplit(tmp, seed, s, threads, progress);
            File.WriteAllLines(Path.Combine(tmp, "classes.txt"), classes);
            File.WriteAllText(Path.Combine(tmp, "scenes.json"), Manifest(seed, splits));
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            Directory.Move(tmp, directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new DistillException($"cannot write scenes to {directory}: {e.Message}", e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    private static void WriteSplit(string root, long seed, Split s, int threads, Action<string, int>? progress)
    {
        if (s.Name is not ("train" or "test")) throw new DistillException($"unknown split '{s.Name}' (expected train or test)");
        var composer = new SceneComposer(s.Source);
        int splitId = s.Name == "train" ? 0 : 1;
        string images = Path.Combine(root, "images", s.Name), labels = Path.Combine(root, "labels", s.Name),
            masks = Path.Combine(root, "masks", s.Name);
        foreach (var d in new[] { images, labels, masks }) Directory.CreateDirectory(d);
        int done = 0;
        ParallelWork.For(s.Count, i =>
        {
            var scene = composer.Compose(composer.Draw(seed, splitId, i));
            string name = i.ToString("D6", CultureInfo.InvariantCulture);
            try
            {
                GrayPng.Write(Path.Combine(images, name + ".png"), scene.Pixels, scene.Size, scene.Size);
                GrayPng.Write(Path.Combine(masks, name + ".png"), scene.Mask, scene.Size, scene.Size);
                File.WriteAllText(Path.Combine(labels, name + ".txt"), LabelLines(scene));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DistillException($"cannot write {s.Name} canvas {name} to {root}: {e.Message}", e);
            }
            int n = Interlocked.Increment(ref done);
            if (n % 1000 == 0) progress?.Invoke(s.Name, n);
        }, threads);
        if (s.Count % 1000 != 0) progress?.Invoke(s.Name, s.Count);
    }

    /// <summary>The YOLO label file of a scene: <c>class cx cy w h</c>, normalized by the canvas side, 6 decimals.</summary>
    public static string LabelLines(Scene scene)
    {
        var sb = new StringBuilder();
        double n = scene.Size;
        foreach (var o in scene.Objects)
            sb.Append(CultureInfo.InvariantCulture, $"{o.ClassIndex} {(o.X0 + o.X1) / 2.0 / n:F6} {(o.Y0 + o.Y1) / 2.0 / n:F6} {(o.X1 - o.X0) / n:F6} {(o.Y1 - o.Y0) / n:F6}\n");
        return sb.ToString();
    }

    private static string Manifest(long seed, IReadOnlyList<Split> splits) => JsonSerializer.Serialize(new
    {
        generator = "make-scenes (Distill.Data.Scenes)",
        seed,
        canvas = SceneComposer.DefaultCanvasSize,
        garments = $"1-{SceneComposer.MaxGarments}",
        scale = new[] { SceneComposer.MinScale, SceneComposer.MaxScale },
        splits = splits.ToDictionary(s => s.Name, s => new { count = s.Count, source = s.Source.Name, source_fingerprint = s.Source.Fingerprint }),
    }, new JsonSerializerOptions { WriteIndented = true });

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
