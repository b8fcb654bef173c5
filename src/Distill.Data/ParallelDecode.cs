using System.Buffers;

namespace Distill.Data;

/// <summary>
/// Decodes a batch of image files on all cores: each item into its own slice of a pooled buffer (a span cannot enter
/// the parallel loop), then one copy into the destination; the first failure in item order is rethrown, whichever
/// thread met it first.
/// </summary>
internal static class ParallelDecode
{
    public static void Run<T>(int count, int itemSize, Span<T> destination, Action<int, Span<T>> decodeItem)
    {
        if (count == 1) { decodeItem(0, destination[..itemSize]); return; }
        var buffer = ArrayPool<T>.Shared.Rent(count * itemSize);
        try
        {
            var errors = new DistillException?[count];
            Parallel.For(0, count, i =>
            {
                try { decodeItem(i, buffer.AsSpan(i * itemSize, itemSize)); }
                catch (DistillException e) { errors[i] = e; }
            });
            if (errors.FirstOrDefault(e => e is not null) is { } error) throw error;
            buffer.AsSpan(0, count * itemSize).CopyTo(destination);
        }
        finally { ArrayPool<T>.Shared.Return(buffer); }
    }
}
