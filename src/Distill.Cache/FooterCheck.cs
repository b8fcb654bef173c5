using System.Buffers.Binary;
using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// Structural check of a Parquet file's footer before Parquet.Net parses it: magic bytes, a footer length inside the
/// file, and a well-formed Thrift compact-protocol FileMetaData (varints that terminate, lengths and list sizes that
/// fit in the remaining bytes, bounded nesting, schema element counts that are not negative). Some corrupt footers
/// otherwise send Parquet.Net's parser into an endless loop.
/// </summary>
internal static class FooterCheck
{
    public static void Validate(Stream stream, string file)
    {
        long length = stream.Length;
        if (length < 12) throw Corrupt(file, "shorter than a Parquet header and footer");
        Span<byte> tail = stackalloc byte[8];
        Span<byte> head = stackalloc byte[4];
        stream.Position = 0;
        stream.ReadExactly(head);
        stream.Position = length - 8;
        stream.ReadExactly(tail);
        if (!head.SequenceEqual("PAR1"u8) || !tail[4..].SequenceEqual("PAR1"u8)) throw Corrupt(file, "no Parquet magic bytes");
        int footer = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footer <= 0 || footer > length - 12) throw Corrupt(file, $"footer length {footer} does not fit in {length} bytes");
        var bytes = new byte[footer];
        stream.Position = length - 8 - footer;
        stream.ReadExactly(bytes);
        stream.Position = 0;
        var walker = new Walker(bytes, file);
        walker.Struct(0);
        if (walker.Position != bytes.Length) throw Corrupt(file, "footer has trailing bytes");
    }

    private static DistillException Corrupt(string file, string why) => new($"{file}: not a readable Parquet file ({why})");

    private ref struct Walker(ReadOnlySpan<byte> data, string file)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        public int Position;

        private byte Byte() => Position < _data.Length ? _data[Position++] : throw Corrupt(file, "footer ends inside a value");

        private ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = Byte();
                v |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return v;
            }
            throw Corrupt(file, "overlong varint in footer");
        }

        private long ZigZag() { ulong v = Varint(); return (long)(v >> 1) ^ -(long)(v & 1); }

        private int Size()
        {
            ulong n = Varint();
            if (n > (ulong)(_data.Length - Position)) throw Corrupt(file, "footer length field exceeds the footer");
            return (int)n;
        }

        public void Struct(int depth)
        {
            if (depth > 32) throw Corrupt(file, "footer nests too deeply");
            while (true)
            {
                byte header = Byte();
                if (header == 0) return;
                int type = header & 0x0F;
                if (header >> 4 == 0) ZigZag(); // explicit field id
                Value(type, depth, inStruct: true);
            }
        }

        private void Value(int type, int depth, bool inStruct)
        {
            switch (type)
            {
                case 1: case 2: if (!inStruct) Byte(); break;   // booleans: in the field header inside structs
                case 3: Byte(); break;
                case 4: case 5: case 6:
                    long v = ZigZag();
                    if (type != 6 && (v > int.MaxValue || v < int.MinValue)) throw Corrupt(file, "integer out of range in footer");
                    break;
                case 7: Skip(8); break;
                case 8: Skip(Size()); break;
                case 9: case 10: List(depth); break;
                case 11: Map(depth); break;
                case 12: Struct(depth + 1); break;
                default: throw Corrupt(file, $"unknown Thrift type {type} in footer");
            }
        }

        private void List(int depth)
        {
            byte header = Byte();
            int elementType = header & 0x0F;
            long count = header >> 4 == 15 ? (long)Varint() : header >> 4;
            if (count > _data.Length - Position) throw Corrupt(file, "list longer than the footer");
            for (long i = 0; i < count; i++) Value(elementType, depth + 1, inStruct: false);
        }

        private void Map(int depth)
        {
            ulong count = Varint();
            if (count == 0) return;
            if (count > (ulong)(_data.Length - Position)) throw Corrupt(file, "map longer than the footer");
            byte types = Byte();
            for (ulong i = 0; i < count; i++) { Value(types >> 4, depth + 1, false); Value(types & 0x0F, depth + 1, false); }
        }

        private void Skip(int n)
        {
            if (n > _data.Length - Position) throw Corrupt(file, "footer ends inside a value");
            Position += n;
        }
    }
}
