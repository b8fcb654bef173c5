using System.Numerics;
using System.Runtime.InteropServices;

namespace Distill.Data;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and TFRecord: TensorBoard event
/// framing and the logits cache's row-group checksums. Uses the CPU's crc32 instruction (SSE 4.2, ARMv8) through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/>; long inputs run three independent lanes, whose registers are then
/// combined, because one lane is bound by the instruction's latency (about 3× slower than its throughput).
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;
    // Bytes per lane per step of the three-lane loop; the shift tables move a register past one or two lanes.
    private const int Lane = 1024;
    private static readonly uint[][] ShiftOneLane = ShiftTables(Lane), ShiftTwoLanes = ShiftTables(2 * Lane);

    /// <summary>The CRC-32C of <paramref name="data"/> (check value: "123456789" gives 0xE3069283).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// The CRC-32C of the bytes whose CRC-32C is <paramref name="crc"/> followed by <paramref name="data"/>, so a
    /// checksum can be computed piece by piece (start from 0).
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    /// <summary>TFRecord's mask: rotate right by 15 and add 0xa282ead8.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint c = Compute(data);
        return unchecked(((c >> 15) | (c << 17)) + 0xa282ead8u);
    }

    // The raw register (no pre- or post-inversion) after feeding `data`. The CRC is linear in the register:
    // feeding A‖B‖C from r equals shift(feed(r, A), |B|+|C|) ⊕ shift(feed(0, B), |C|) ⊕ feed(0, C).
    private static uint Update(uint register, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 3 * Lane)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(data[..(3 * Lane)]);
            uint a = register, b = 0, c = 0;
            for (int i = 0; i < Lane / 8; i++)
            {
                a = BitOperations.Crc32C(a, words[i]);
                b = BitOperations.Crc32C(b, words[Lane / 8 + i]);
                c = BitOperations.Crc32C(c, words[2 * Lane / 8 + i]);
            }
            register = Shift(ShiftTwoLanes, a) ^ Shift(ShiftOneLane, b) ^ c;
            data = data[(3 * Lane)..];
        }
        var rest = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in rest) register = BitOperations.Crc32C(register, w);
        foreach (var b in data[(rest.Length * 8)..]) register = BitOperations.Crc32C(register, b);
        return register;
    }

    private static uint Shift(uint[][] t, uint r) =>
        t[0][r & 0xFF] ^ t[1][(r >> 8) & 0xFF] ^ t[2][(r >> 16) & 0xFF] ^ t[3][r >> 24];

    // Multiplying a register by x^(8n) mod P is linear, so it is the XOR of four byte tables.
    private static uint[][] ShiftTables(int bytes)
    {
        uint factor = PowerOfX(8L * bytes);
        var t = new uint[4][];
        for (int k = 0; k < 4; k++)
        {
            t[k] = new uint[256];
            for (uint v = 0; v < 256; v++) t[k][v] = MultiplyModP(factor, v << (8 * k));
        }
        return t;
    }

    // Polynomials in the reflected representation: bit 31 is x^0.
    private static uint MultiplyModP(uint a, uint b)
    {
        uint product = 0;
        for (uint m = 1u << 31; m != 0; m >>= 1)
        {
            if ((a & m) != 0) product ^= b;
            b = (b & 1) != 0 ? (b >> 1) ^ Polynomial : b >> 1;
        }
        return product;
    }

    private static uint PowerOfX(long n)
    {
        uint result = 1u << 31, square = 1u << 30;   // x^0 and x^1
        for (; n > 0; n >>= 1)
        {
            if ((n & 1) != 0) result = MultiplyModP(square, result);
            square = MultiplyModP(square, square);
        }
        return result;
    }
}
