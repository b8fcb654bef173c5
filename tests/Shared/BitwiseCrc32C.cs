namespace Distill.Tests.Shared;

/// <summary>
/// CRC-32C computed bit by bit from its definition (RFC 3720, B.4: reflected polynomial 0x82F63B78, register starts
/// at 0xFFFFFFFF and is inverted at the end): an independent reference for the product's lane-combining
/// implementation and for the checksums the cache format specifies.
/// </summary>
internal static class BitwiseCrc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        }
        return ~c;
    }

    /// <summary>The checksum of values laid out little-endian, each at its own width (the cache's canonical order).</summary>
    public static uint OfValues<T>(IEnumerable<T> values) where T : unmanaged
    {
        var bytes = new List<byte>();
        foreach (var v in values)
        {
            var one = new byte[System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
            System.Runtime.InteropServices.MemoryMarshal.Write(one, in v);
            if (!BitConverter.IsLittleEndian) Array.Reverse(one);
            bytes.AddRange(one);
        }
        return Compute(bytes.ToArray());
    }
}
