using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// Host batches → tensors without per-batch allocations: full batches are copied into tensors allocated once
/// (creating tensors from arrays clones the array on the managed heap each time, which made memory grow with the
/// large-object heap). The last, partial batch of an epoch gets fresh tensors in the caller's dispose scope.
/// </summary>
internal sealed class BatchStaging : IDisposable
{
    private readonly int _batch, _classes;
    private readonly long[] _sampleShape;
    private readonly Device _device;
    private readonly Tensor _x, _y, _t;

    public BatchStaging(int batch, long[] sampleShape, int classes, Device device)
    {
        (_batch, _sampleShape, _classes, _device) = (batch, sampleShape, classes, device);
        _x = empty(new long[] { batch }.Concat(sampleShape).ToArray(), ScalarType.Float32);
        _y = empty(new long[] { batch }, ScalarType.Int64);
        _t = empty(new long[] { batch, classes }, ScalarType.Float32);
    }

    /// <summary>Tensors on the device for this batch; valid until the next call.</summary>
    public (Tensor X, Tensor Y, Tensor? T) Load(HostBatch b, bool teacher)
    {
        if (b.Rows != _batch)
            return (tensor(b.Inputs, new long[] { b.Rows }.Concat(_sampleShape).ToArray()).to(_device),
                tensor(b.Labels, new long[] { b.Rows }).to(_device),
                teacher ? tensor(b.TeacherLogits, new long[] { b.Rows, _classes }).to(_device) : null);
        _x.bytes = MemoryMarshal.AsBytes(b.Inputs.AsSpan());
        _y.bytes = MemoryMarshal.AsBytes(b.Labels.AsSpan());
        if (teacher) _t.bytes = MemoryMarshal.AsBytes(b.TeacherLogits.AsSpan());
        return (_x.to(_device), _y.to(_device), teacher ? _t.to(_device) : null);
    }

    public void Dispose() { _x.Dispose(); _y.Dispose(); _t.Dispose(); }
}
