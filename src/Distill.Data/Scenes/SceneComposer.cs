namespace Distill.Data.Scenes;

/// <summary>
/// "Fashion-MNIST scenes": 1–3 garments of a labelled [1, h, w] source (Fashion-MNIST's matching split) on a black
/// square canvas, each scaled by a factor in [0.6, 1.4] and placed wholly inside the canvas at a random position,
/// later garments drawn over earlier ones. A garment covers the canvas where its scaled pixels are non-zero (its own
/// black background stays transparent); the mask takes its class + 1 there. A garment's box is the extent of the
/// pixels it still shows at the end; a garment that later ones cover completely has no box and no label line.
/// Everything follows from (seed, split, canvas index): the same seed gives the same scenes.
/// </summary>
public sealed class SceneComposer
{
    public const int DefaultCanvasSize = 64;
    public const int MaxGarments = 3;
    public const double MinScale = 0.6, MaxScale = 1.4;

    private readonly IDataset _source;
    private readonly int _sourceHeight, _sourceWidth;

    public int CanvasSize { get; }

    public SceneComposer(IDataset source, int canvasSize = DefaultCanvasSize)
    {
        if (!source.HasLabels) throw new DistillException($"{source.Name} {source.Split} has no labels; scenes need each garment's class");
        if (source.SampleShape is not [1, var h, var w])
            throw new DistillException($"{source.Name} samples are [{string.Join(", ", source.SampleShape)}]; scenes need one-channel images [1, H, W]");
        if (Math.Round(Math.Max(h, w) * MaxScale) > canvasSize)
            throw new DistillException($"{source.Name} images ({w}x{h}) scaled by {MaxScale} do not fit a {canvasSize}x{canvasSize} canvas");
        (_source, _sourceHeight, _sourceWidth, CanvasSize) = (source, h, w, canvasSize);
    }

    /// <summary>The garments of canvas <paramref name="index"/> of split <paramref name="splitId"/> (0 = train, 1 = test).</summary>
    public GarmentPlacement[] Draw(long seed, int splitId, int index)
    {
        var rng = new SceneRandom(seed, splitId, index);
        var garments = new GarmentPlacement[1 + rng.Next(MaxGarments)];
        for (int k = 0; k < garments.Length; k++)
        {
            int source = rng.Next(_source.Count);
            double scale = MinScale + (MaxScale - MinScale) * rng.NextDouble();
            // Square sides keep the source's aspect (Fashion-MNIST is square); at least one pixel.
            int side = Math.Max(1, (int)Math.Round(Math.Max(_sourceHeight, _sourceWidth) * scale, MidpointRounding.AwayFromZero));
            int x = rng.Next(CanvasSize - side + 1), y = rng.Next(CanvasSize - side + 1);
            garments[k] = new GarmentPlacement(source, _source.GetLabel(source), side, x, y);
        }
        return garments;
    }

    /// <summary>Draws the garments in order and derives the mask and the visible boxes.</summary>
    public Scene Compose(IReadOnlyList<GarmentPlacement> garments)
    {
        int n = CanvasSize;
        var pixels = new byte[n * n];
        var mask = new byte[n * n];
        var owner = new int[n * n];   // 1 + index of the garment that shows at each pixel, 0 = none
        var sourcePixels = new float[_sourceHeight * _sourceWidth];
        for (int k = 0; k < garments.Count; k++)
        {
            var g = garments[k];
            if (g.Side < 1 || g.X < 0 || g.Y < 0 || g.X + g.Side > n || g.Y + g.Side > n)
                throw new ArgumentOutOfRangeException(nameof(garments), $"garment {k} ({g}) is not inside the {n}x{n} canvas");
            _source.ReadSamples(g.Source, 1, sourcePixels);
            var scaled = Bilinear.Resize(sourcePixels, _sourceWidth, _sourceHeight, g.Side, g.Side);
            for (int y = 0; y < g.Side; y++)
                for (int x = 0; x < g.Side; x++)
                {
                    byte v = scaled[y * g.Side + x];
                    if (v == 0) continue;
                    int p = (g.Y + y) * n + g.X + x;
                    pixels[p] = v;
                    mask[p] = (byte)(g.ClassIndex + 1);
                    owner[p] = k + 1;
                }
        }
        return new Scene(n, pixels, mask, VisibleObjects(garments, owner, n));
    }

    private static List<SceneObject> VisibleObjects(IReadOnlyList<GarmentPlacement> garments, int[] owner, int n)
    {
        var objects = new List<SceneObject>(garments.Count);
        for (int k = 0; k < garments.Count; k++)
        {
            int x0 = n, y0 = n, x1 = -1, y1 = -1;
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                    if (owner[y * n + x] == k + 1)
                    {
                        x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                        y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                    }
            if (x1 >= 0) objects.Add(new SceneObject(garments[k].ClassIndex, x0, y0, x1 + 1, y1 + 1));
        }
        return objects;
    }
}
