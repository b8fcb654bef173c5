using System.Buffers.Binary;
using System.Text;
using Distill.Data;
using Distill.Student.Output;

namespace Distill.Student.Tests;

[TestClass]
public sealed class OutputTests
{
    [TestMethod]
    public void Crc32CCheckValue()
    {
        Assert.AreEqual(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.AreEqual(0u, Crc32C.Compute(ReadOnlySpan<byte>.Empty));
    }

    [TestMethod]
    public void TensorBoardRecordsAreFramedAndChecksummed()
    {
        using var dir = new TempDir();
        string path;
        using (var tb = new TensorBoardWriter(dir.Path))
        {
            tb.Scalars(1, new[] { ("test/acc", 0.5) });
            tb.Scalars(2, new[] { ("test/acc", 0.75), ("train/loss", 1.25) });
            path = tb.Path;
        }
        StringAssert.StartsWith(Path.GetFileName(path), "events.out.tfevents.");
        var bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        for (int at = 0; at < bytes.Length;)
        {
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.AreEqual(Crc32C.Masked(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            var data = bytes.AsSpan(at + 12, (int)len);
            Assert.AreEqual(Crc32C.Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)len)));
            records.Add(data.ToArray());
            at += 12 + (int)len + 4;
        }
        Assert.AreEqual(3, records.Count);
        Assert.IsTrue(Encoding.ASCII.GetString(records[0]).Contains("brain.Event:2"));
        // Event.step = 2 (field 2, varint) and the simple_value 0.75f (field 2, fixed32) inside the summary.
        var last = records[2];
        Assert.AreEqual(0x09, last[0]);                 // field 1 (wall_time), wire type 1
        Assert.AreEqual(0x10, last[9]); Assert.AreEqual(2, last[10]);
        var f = BitConverter.GetBytes(0.75f);
        Assert.IsTrue(last.AsSpan().IndexOf(new byte[] { 0x15, f[0], f[1], f[2], f[3] }) > 0);
        Assert.IsTrue(Encoding.ASCII.GetString(last).Contains("train/loss"));
    }
}
