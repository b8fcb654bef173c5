using System.Buffers;

namespace Distill.Data;

/// <summary>
/// Decodes a batch of image files on all cores: each item into its own slice of a pooled buffer (a span cannot enter
/// the parallel loop), then one copy into the destination; errors as <see cref="ParallelWork"/>.
/// </summary>
internal static class ParallelDecode
{
    public delegate void DecodeItem<T>(int item, Span<T> destination);

    public static void Run<T>(int count, int itemSize, Span<T> destination, DecodeItem<T> decodeItem)
    {
        if (count == 1) { decodeItem(0, destination[..itemSize]); return; }
        var buffer = ArrayPool<T>.Shared.Rent(count * itemSize);
        try
        {
            ParallelWork.For(count, i => decodeItem(i, buffer.AsSpan(i * itemSize, itemSize)));
            buffer.AsSpan(0, count * itemSize).CopyTo(destination);
        }
        finally { ArrayPool<T>.Shared.Return(buffer); }
    }
}
