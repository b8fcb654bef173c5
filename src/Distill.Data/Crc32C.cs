using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Distill.Data;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and TFRecord: TensorBoard event
/// framing and the logits cache's row-group checksums. Long inputs on x86 with VPCLMULQDQ (AVX-512) are folded 256
/// bytes at a time with carry-less multiplies (Gopal et al., "Fast CRC Computation for Generic Polynomials Using
/// PCLMULQDQ Instruction", Intel 2009), about twice the speed of the crc32 instruction, which bounds a reader's
/// checksum cost; elsewhere the crc32 instruction (SSE 4.2, ARMv8) through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> runs three independent lanes, whose registers are then combined,
/// because one lane is bound by the instruction's latency (about 3× slower than its throughput).
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
    private static uint Update(uint register, ReadOnlySpan<byte> data) =>
        FoldingSupported ? UpdateFolding(register, data) : UpdateThreeLanes(register, data);

    /// <summary>Whether this machine takes the carry-less multiply path (x86 with 512-bit VPCLMULQDQ).</summary>
    internal static bool FoldingSupported => Pclmulqdq.V512.IsSupported && Sse42.X64.IsSupported;

    internal static uint UpdateThreeLanes(uint register, ReadOnlySpan<byte> data)
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

    // Folding: four 512-bit accumulators, each four 16-byte blocks. A block X (low word L: its first 8 bytes, the
    // higher powers; high word H) moved D bytes on is L·x^(8D+64) + H·x^(8D) mod P; a carry-less multiply of two
    // reflected 64-bit values adds one factor x, hence the constants x^(8D+63) and x^(8D-1) mod P (in the top 32 bits).
    // The last 16-byte remainder goes through the crc32 instruction from a zero register, which reduces it exactly.
    private const int FoldBlock = 512;
    private static readonly Vector512<ulong> Fold256Bytes = FoldConstants512(256), Fold64Bytes = FoldConstants512(64);
    private static readonly Vector256<ulong> Fold32Bytes = Vector256.Create(FoldConstants(32), FoldConstants(32));
    private static readonly Vector128<ulong> Fold16Bytes = FoldConstants(16);

    internal static uint UpdateFolding(uint register, ReadOnlySpan<byte> data)
    {
        if (data.Length < FoldBlock) return UpdateThreeLanes(register, data);   // short inputs: the accumulators alone take 256 bytes
        ref ulong p = ref Unsafe.As<byte, ulong>(ref MemoryMarshal.GetReference(data));
        var a0 = Vector512.LoadUnsafe(ref p) ^ Vector512.CreateScalar((ulong)register);   // the register joins the first bytes
        var a1 = Vector512.LoadUnsafe(ref p, 8);
        var a2 = Vector512.LoadUnsafe(ref p, 16);
        var a3 = Vector512.LoadUnsafe(ref p, 24);
        nuint word = 32, last = (nuint)(data.Length / 8 - 32);
        for (; word <= last; word += 32)
        {
            a0 = Fold(a0, Fold256Bytes) ^ Vector512.LoadUnsafe(ref p, word);
            a1 = Fold(a1, Fold256Bytes) ^ Vector512.LoadUnsafe(ref p, word + 8);
            a2 = Fold(a2, Fold256Bytes) ^ Vector512.LoadUnsafe(ref p, word + 16);
            a3 = Fold(a3, Fold256Bytes) ^ Vector512.LoadUnsafe(ref p, word + 24);
        }
        a1 ^= Fold(a0, Fold64Bytes);
        a2 ^= Fold(a1, Fold64Bytes);
        a3 ^= Fold(a2, Fold64Bytes);
        var half = Fold(a3.GetLower(), Fold32Bytes) ^ a3.GetUpper();
        var block = Fold(half.GetLower(), Fold16Bytes) ^ half.GetUpper();
        register = (uint)Sse42.X64.Crc32(Sse42.X64.Crc32(0, block.GetElement(0)), block.GetElement(1));
        return UpdateThreeLanes(register, data[(int)(word * 8)..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Fold(Vector512<ulong> x, Vector512<ulong> k) =>
        Pclmulqdq.V512.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.V512.CarrylessMultiply(x, k, 0x11);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Fold(Vector256<ulong> x, Vector256<ulong> k) =>
        Pclmulqdq.V256.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.V256.CarrylessMultiply(x, k, 0x11);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Fold(Vector128<ulong> x, Vector128<ulong> k) =>
        Pclmulqdq.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.CarrylessMultiply(x, k, 0x11);

    // (low word's, high word's) constants for moving a 16-byte block `bytes` on.
    private static Vector128<ulong> FoldConstants(int bytes) =>
        Vector128.Create((ulong)PowerOfX(8L * bytes + 63) << 32, (ulong)PowerOfX(8L * bytes - 1) << 32);

    private static Vector512<ulong> FoldConstants512(int bytes)
    {
        var k = FoldConstants(bytes);
        return Vector512.Create(Vector256.Create(k, k), Vector256.Create(k, k));
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
