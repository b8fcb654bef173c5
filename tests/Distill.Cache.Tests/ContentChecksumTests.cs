using System.Security.Cryptography;
using Distill.Cache;

namespace Distill.Cache.Tests;

/// <summary>The cache's content checksum against SHA-256 of the footer bytes computed here, and its sensitivity.</summary>
[TestClass]
public sealed class ContentChecksumTests
{
    [TestMethod]
    public async Task IsTheSha256OfTheFootersAndFollowsTheContent()
    {
        var dir = CacheFixtures.TempDir();
        var file = await CacheFixtures.WriteAsync(dir, rows: 300, classes: 5, rowGroup: 64);
        var bytes = File.ReadAllBytes(file);
        int footer = BitConverter.ToInt32(bytes, bytes.Length - 8);
        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(bytes.Length - 8 - footer)));
        using (var reader = LogitCacheReader.Open(dir)) Assert.AreEqual(expected, reader.ContentChecksum);

        // The same rows written again agree except for the creation time, so the checksum changes: a replaced
        // cache is another cache.
        var other = CacheFixtures.TempDir();
        await Task.Delay(5);
        await CacheFixtures.WriteAsync(other, rows: 300, classes: 5, rowGroup: 64);
        using var a = LogitCacheReader.Open(dir);
        using var b = LogitCacheReader.Open(other);
        Assert.AreNotEqual(a.ContentChecksum, b.ContentChecksum);
        using var again = LogitCacheReader.Open(dir);
        Assert.AreEqual(a.ContentChecksum, again.ContentChecksum, "the same files opened again give the same checksum");
    }
}
