namespace Distill.Data.Tests;

/// <summary>
/// CRC-32C against its check value and a bit-by-bit computation from the definition, at every length around the
/// three-lane blocks (where the lane registers are combined), and piece by piece.
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
