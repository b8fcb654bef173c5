namespace Distill.Data.Tests;

/// <summary>
/// CRC-32C against its check value and a bit-by-bit computation from the definition: every length up to past the
/// folding path's block and the three-lane blocks (where lane registers are combined), through the public entry and
/// through each path on its own (the folding path where the CPU has it), from a zero and a non-zero register, and
/// piece by piece.
/// </summary>
[TestClass]
public sealed class Crc32CTests
{
    [TestMethod]
    public void MatchesTheCheckValueAndTheBitwiseDefinitionAtEveryBlockBoundary()
    {
        Assert.AreEqual(0xE3069283u, Crc32C.Compute("123456789"u8));   // RFC 3720's check value
        Assert.AreEqual(0u, Crc32C.Compute(ReadOnlySpan<byte>.Empty));
        var rng = new Random(5);
        var data = new byte[3 * 1024 * 3 + 17];
        rng.NextBytes(data);
        foreach (int length in new[] { 1, 7, 8, 9, 3071, 3072, 3073, 6144, 6151, 9216, data.Length })
            Assert.AreEqual(BitwiseCrc32C.Compute(data.AsSpan(0, length)), Crc32C.Compute(data.AsSpan(0, length)), $"length {length}");
        // Unaligned starts take the same path.
        Assert.AreEqual(BitwiseCrc32C.Compute(data.AsSpan(3, 5000)), Crc32C.Compute(data.AsSpan(3, 5000)));
    }

    [TestMethod]
    public void EveryPathMatchesTheDefinitionAtEveryLengthAndFromAnyRegister()
    {
        var data = new byte[1400];
        new Random(11).NextBytes(data);
        var paths = new List<(string Name, Func<uint, byte[], int, uint> Update)>
        {
            ("public", (crc, d, n) => Crc32C.Append(crc, d.AsSpan(1, n))),
            ("three lanes", (crc, d, n) => ~Crc32C.UpdateThreeLanes(~crc, d.AsSpan(1, n))),
        };
        if (Crc32C.FoldingSupported) paths.Add(("folding", (crc, d, n) => ~Crc32C.UpdateFolding(~crc, d.AsSpan(1, n))));
        var prefix = "distill"u8.ToArray();
        uint prefixCrc = BitwiseCrc32C.Compute(prefix);
        for (int n = 0; n < data.Length - 1; n++)
        {
            uint expected = BitwiseCrc32C.Compute(data.AsSpan(1, n));
            uint continued = BitwiseCrc32C.Compute(prefix.Concat(data.Skip(1).Take(n)).ToArray());
            foreach (var (name, update) in paths)
            {
                Assert.AreEqual(expected, update(0, data, n), $"{name}, length {n}");
                Assert.AreEqual(continued, update(prefixCrc, data, n), $"{name}, length {n} after a prefix");
            }
        }
        // Long inputs: many folding rounds, then a tail of every remainder class.
        var big = new byte[70_000];
        new Random(12).NextBytes(big);
        foreach (int n in new[] { 65_536, 65_537, 65_543, 69_999 })
            foreach (var (name, update) in paths)
                Assert.AreEqual(BitwiseCrc32C.Compute(big.AsSpan(1, n)), update(0, big, n), $"{name}, length {n}");
    }

    [TestMethod]
    public void AppendingPiecesEqualsTheWhole()
    {
        var data = new byte[20000];
        new Random(9).NextBytes(data);
        uint crc = 0;
        foreach (var (start, length) in new[] { (0, 3), (3, 4000), (4003, 10), (4013, 15987) })
            crc = Crc32C.Append(crc, data.AsSpan(start, length));
        Assert.AreEqual(BitwiseCrc32C.Compute(data), crc);
    }
}
