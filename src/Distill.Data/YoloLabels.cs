using System.Globalization;

namespace Distill.Data;

/// <summary>
/// YOLO label files: one object per line, <c>class cx cy w h</c>, the class an integer in [0, K), the box normalized
/// to the image (every value in [0, 1] and the box inside the image); blank lines are ignored, an empty file is an
/// image without objects. Anything else is refused with the file and line.
/// </summary>
public sealed class YoloLabels : IObjectBoxes
{
    // Label writers print ~6 decimals, so an edge at 1 may read as 1.0000005.
    private const float EdgeTolerance = 1e-5f;

    private readonly ObjectBox[][] _boxes;

    public int BoxClassCount { get; }

    private YoloLabels(ObjectBox[][] boxes, int classCount) { _boxes = boxes; BoxClassCount = classCount; }

    public IReadOnlyList<ObjectBox> GetBoxes(int index) => _boxes[index];

    /// <summary>Parses every file (in parallel); the first bad file in list order is the error.</summary>
    public static YoloLabels Read(IReadOnlyList<string> paths, int classCount) =>
        new(ParallelWork.Map(paths.Count, i => ParseFile(paths[i], classCount)), classCount);

    public static ObjectBox[] ParseFile(string path, int classCount)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (FileNotFoundException) { throw new DistillException($"label file missing: {path}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot read {path}: {e.Message}", e); }
        var boxes = new List<ObjectBox>();
        for (int n = 0; n < lines.Length; n++)
            if (!string.IsNullOrWhiteSpace(lines[n])) boxes.Add(ParseLine(lines[n], classCount, $"{path} line {n + 1}"));
        return boxes.ToArray();
    }

    public static ObjectBox ParseLine(string line, int classCount, string where)
    {
        var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 5)
            throw new DistillException($"{where}: expected 'class cx cy w h', got {f.Length} values");
        if (!int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int c))
            throw new DistillException($"{where}: class '{f[0]}' is not a non-negative integer");
        if (c >= classCount)
            throw new DistillException($"{where}: class {c} is not below the dataset's {classCount} classes");
        var v = new float[4];
        for (int k = 0; k < 4; k++)
            if (!float.TryParse(f[k + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out v[k]) || !float.IsFinite(v[k]))
                throw new DistillException($"{where}: '{f[k + 1]}' is not a number");
        var (cx, cy, w, h) = (v[0], v[1], v[2], v[3]);
        if (v.Any(x => x < 0 || x > 1))
            throw new DistillException($"{where}: box {cx} {cy} {w} {h} has a value outside [0, 1] (normalized cx cy w h expected)");
        if (cx - w / 2 < -EdgeTolerance || cx + w / 2 > 1 + EdgeTolerance || cy - h / 2 < -EdgeTolerance || cy + h / 2 > 1 + EdgeTolerance)
            throw new DistillException($"{where}: box {cx} {cy} {w} {h} reaches outside the image [0, 1]");
        return new ObjectBox(c, cx, cy, w, h);
    }
}
