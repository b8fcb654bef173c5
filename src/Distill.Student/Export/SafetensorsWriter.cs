using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Distill.Data;
using Distill.Student.Output;
using static TorchSharp.torch;

namespace Distill.Student.Export;

/// <summary>
/// Writes tensors in the safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON ({"name": {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {…}},
/// padded with spaces to a multiple of 8), then the raw little-endian data, row-major, in header order.
/// A module's state_dict names are kept, so PyTorch loads the file into the same architecture with load_state_dict.
/// </summary>
public static class SafetensorsWriter
{
    public static void Write(string path, nn.Module module, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, module.state_dict().Select(kv => (kv.Key, kv.Value)), metadata);

    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = new List<(string Name, string Dtype, long[] Shape, byte[] Data)>();
        foreach (var (name, t) in tensors)
        {
            using var c = t.detach().cpu().contiguous();
            var (dtype, size) = DType(c.dtype, name);
            var data = c.bytes.ToArray();
            if (data.LongLength != c.numel() * size) throw new DistillException($"safetensors: tensor '{name}' has {data.Length} bytes, expected {c.numel() * size}");
            if (!BitConverter.IsLittleEndian && size > 1)
                for (int i = 0; i < data.Length; i += size) Array.Reverse(data, i, size);
            items.Add((name, dtype, c.shape, data));
        }

        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape, data) in items)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (var d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + data.LongLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += data.LongLength;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        AtomicFile.Write(path, tmp =>
        {
            using var f = File.Create(tmp);
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            f.Write(len);
            header.Position = 0;
            header.CopyTo(f);
            foreach (var item in items) f.Write(item.Data);
        });
    }

    private static (string, int) DType(ScalarType t, string name) => t switch
    {
        ScalarType.Float32 => ("F32", 4),
        ScalarType.Float64 => ("F64", 8),
        ScalarType.Float16 => ("F16", 2),
        ScalarType.BFloat16 => ("BF16", 2),
        ScalarType.Int64 => ("I64", 8),
        ScalarType.Int32 => ("I32", 4),
        ScalarType.Int16 => ("I16", 2),
        ScalarType.Int8 => ("I8", 1),
        ScalarType.Byte => ("U8", 1),
        ScalarType.Bool => ("BOOL", 1),
        _ => throw new DistillException($"safetensors: tensor '{name}' has dtype {t}, which the format does not define"),
    };
}

/// <summary>Reads a safetensors header (for checks and tests): tensor names, dtypes, shapes and absolute data ranges.</summary>
public static class SafetensorsHeader
{
    public sealed record Entry(string Name, string Dtype, long[] Shape, long Begin, long End);

    public static (IReadOnlyList<Entry> Tensors, IReadOnlyDictionary<string, string> Metadata, long DataStart) Read(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> len = stackalloc byte[8];
        f.ReadExactly(len);
        var n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n > (ulong)(f.Length - 8)) throw new DistillException($"{path}: header length {n} exceeds the file");
        var buf = new byte[n];
        f.ReadExactly(buf);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(buf));
        var tensors = new List<Entry>();
        var meta = new Dictionary<string, string>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") { foreach (var m in p.Value.EnumerateObject()) meta[m.Name] = m.Value.GetString() ?? ""; continue; }
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            tensors.Add(new Entry(p.Name, p.Value.GetProperty("dtype").GetString()!,
                p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), off[0], off[1]));
        }
        return (tensors, meta, 8 + (long)n);
    }
}
