using Distill.Cache;
using Distill.Data;
using Distill.Student.Metrics;
using Distill.Student.Students;

namespace Distill.Tools.ScenePreview;

/// <summary>A model's raw seg [N, K + 1, h, w] and det [N, A, 5 + K] outputs on the first N canvases.</summary>
internal sealed record HeadOutputs(float[] Seg, float[] Det, int Count)
{
    /// <summary>What the model predicts on each canvas: the class per seg cell (argmax) and the boxes the mAP scores.</summary>
    public Prediction[] Decode(DenseHeads heads, DetectionOptions options)
    {
        int classes = heads.SegmentationShape![0], cells = heads.SegmentationShape[1] * heads.SegmentationShape[2];
        int detSize = heads.Detection!.Rows * heads.Detection.RowSize;
        return Enumerable.Range(0, Count).Select(n =>
        {
            var cellClass = new byte[cells];
            for (int p = 0; p < cells; p++)
            {
                int best = 0;
                for (int c = 1; c < classes; c++)
                    if (Seg[(n * classes + c) * cells + p] > Seg[(n * classes + best) * cells + p]) best = c;
                cellClass[p] = (byte)best;
            }
            return new Prediction(cellClass, heads.SegmentationShape[1], heads.SegmentationShape[2],
                DenseMetrics.Detect(Det.AsSpan(n * detSize, detSize), heads.Detection, options));
        }).ToArray();
    }

    /// <summary>The teacher's outputs on the split's first <paramref name="count"/> samples, from its cache.</summary>
    public static HeadOutputs FromCache(LogitCacheReader cache, DenseHeads heads, int count)
    {
        var outputs = cache.Metadata.Outputs;
        int seg = outputs.ToList().FindIndex(o => o.Name == heads.SegmentationOutput);
        int det = outputs.ToList().FindIndex(o => o.Name == heads.DetectionOutput);
        int segWidth = outputs[seg].Shape.Aggregate(1, (a, b) => a * b), detWidth = outputs[det].Shape.Aggregate(1, (a, b) => a * b);
        var result = new HeadOutputs(new float[count * segWidth], new float[count * detWidth], count);
        var seen = new bool[count];
        for (int g = 0; g < cache.RowGroupCount && seen.Contains(false); g++)
        {
            var rows = cache.ReadRowGroupAsync(g).GetAwaiter().GetResult();
            for (int r = 0; r < rows.Rows; r++)
            {
                if (rows.Index[r] >= count) continue;
                int i = (int)rows.Index[r];
                seen[i] = true;
                Column(rows, seg).AsSpan(r * segWidth, segWidth).CopyTo(result.Seg.AsSpan(i * segWidth));
                Column(rows, det).AsSpan(r * detWidth, detWidth).CopyTo(result.Det.AsSpan(i * detWidth));
            }
        }
        if (seen.Contains(false))
            throw new DistillException($"cache {cache.Directory} lacks sample {Array.IndexOf(seen, false)} of the first {count}");
        return result;
    }

    private static float[] Column(LogitBatch rows, int column) => column == 0 ? rows.Logits : rows.Extra[column - 1];
}

/// <summary>One canvas's prediction: seg classes per cell (h × w, row-major) and detections in normalized corners.</summary>
internal sealed record Prediction(byte[] CellClass, int Height, int Width, IReadOnlyList<Detection> Boxes);
