using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// Host batches → tensors without per-batch allocations: full batches are copied into tensors allocated once
/// (creating tensors from arrays clones the array on the managed heap each time, which made memory grow with the
/// large-object heap). The last, partial batch of an epoch gets fresh tensors in the caller's dispose scope.
/// Teacher columns come out shaped [B, ...per-sample shape] (a feature map as [B, C, H, W]).
/// </summary>
internal sealed class BatchStaging : IDisposable
{
    private readonly int _batch;
    private readonly long[] _sampleShape;
    private readonly long[][] _columnShapes;
    private readonly Device _device;
    private readonly Tensor _x, _y;
    private readonly Tensor[] _t;

    public BatchStaging(int batch, long[] sampleShape, IReadOnlyList<TeacherColumn> columns, Device device)
    {
        (_batch, _sampleShape, _device) = (batch, sampleShape, device);
        _columnShapes = columns.Select(c => c.Shape.Select(d => (long)d).ToArray()).ToArray();
        _x = empty(Batched(batch, sampleShape), ScalarType.Float32);
        _y = empty(new long[] { batch }, ScalarType.Int64);
        _t = _columnShapes.Select(s => empty(Batched(batch, s), ScalarType.Float32)).ToArray();
    }

    private static long[] Batched(long rows, long[] shape) => new[] { rows }.Concat(shape).ToArray();

    /// <summary>Tensors on the device for this batch (teacher columns in the staging's column order); valid until the next call.</summary>
    public (Tensor X, Tensor Y, Tensor[] Teacher) Load(HostBatch b)
    {
        if (b.Rows != _batch)
            return (tensor(b.Inputs, Batched(b.Rows, _sampleShape)).to(_device),
                tensor(b.Labels, new long[] { b.Rows }).to(_device),
                _columnShapes.Select((s, j) => tensor(b.Teacher[j], Batched(b.Rows, s)).to(_device)).ToArray());
        _x.bytes = MemoryMarshal.AsBytes(b.Inputs.AsSpan());
        _y.bytes = MemoryMarshal.AsBytes(b.Labels.AsSpan());
        var teacher = new Tensor[_t.Length];
        for (int j = 0; j < _t.Length; j++)
        {
            _t[j].bytes = MemoryMarshal.AsBytes(b.Teacher[j].AsSpan());
            teacher[j] = _t[j].to(_device);
        }
        return (_x.to(_device), _y.to(_device), teacher);
    }

    public void Dispose()
    {
        _x.Dispose(); _y.Dispose();
        foreach (var t in _t) t.Dispose();
    }
}
