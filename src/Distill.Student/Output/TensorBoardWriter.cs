using System.Buffers.Binary;
using System.Text;
using Distill.Data;

namespace Distill.Student.Output;

/// <summary>
/// Writes TensorBoard event files (events.out.tfevents.TIME.HOST) with scalar summaries. Each record is TFRecord
/// framed: uint64 length, masked CRC-32C of the length, the Event protobuf, masked CRC-32C of the data.
/// Event: wall_time (1, double), step (2, int64), file_version (3, string) | summary (5, Summary);
/// Summary.value (1): tag (1, string), simple_value (2, float). Records are appended whole: a write that fails (a full
/// disk) is cut off again, so the file always ends with a complete record.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream _file;

    public string Path { get; }

    public TensorBoardWriter(string dir)
    {
        Directory.CreateDirectory(dir);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(dir, $"events.out.tfevents.{now}.{Environment.MachineName}");
        int n = 1;
        while (File.Exists(Path)) Path = System.IO.Path.Combine(dir, $"events.out.tfevents.{now}.{Environment.MachineName}.{n++}");
        try { _file = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.Failed(Path, e); }
        var ev = new ProtoWriter();
        ev.Double(1, WallTime());
        ev.String(3, "brain.Event:2");
        try { WriteRecord(ev.ToArray()); }
        catch { _file.Dispose(); throw; }
    }

    public void Scalars(long step, IEnumerable<(string Tag, double Value)> values)
    {
        var summary = new ProtoWriter();
        foreach (var (tag, value) in values)
        {
            var v = new ProtoWriter();
            v.String(1, tag);
            v.Float(2, (float)value);
            summary.Message(1, v.ToArray());
        }
        var ev = new ProtoWriter();
        ev.Double(1, WallTime());
        ev.Int64(2, step);
        ev.Message(5, summary.ToArray());
        WriteRecord(ev.ToArray());
    }

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private void WriteRecord(byte[] data)
    {
        var record = new byte[12 + data.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Crc32C.Masked(record.AsSpan(0, 8)));
        data.CopyTo(record, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + data.Length), Crc32C.Masked(data));
        long complete = _file.Length;
        try { _file.Write(record); }   // unbuffered: the record is in the file (or the write failed) here
        catch (IOException e)
        {
            try { _file.SetLength(complete); } catch (IOException) { /* the failure below is what matters */ }
            throw AtomicFile.Failed(Path, e);
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>The few protobuf wire types an Event needs.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _s = new();
        private void Tag(int field, int wire) => Varint((ulong)((field << 3) | wire));
        private void Varint(ulong v) { while (v >= 0x80) { _s.WriteByte((byte)(v | 0x80)); v >>= 7; } _s.WriteByte((byte)v); }
        public void Double(int f, double v) { Tag(f, 1); Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteDoubleLittleEndian(b, v); _s.Write(b); }
        public void Float(int f, float v) { Tag(f, 5); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteSingleLittleEndian(b, v); _s.Write(b); }
        public void Int64(int f, long v) { Tag(f, 0); Varint((ulong)v); }
        public void String(int f, string v) => Message(f, Encoding.UTF8.GetBytes(v));
        public void Message(int f, byte[] v) { Tag(f, 2); Varint((ulong)v.Length); _s.Write(v); }
        public byte[] ToArray() => _s.ToArray();
    }
}
