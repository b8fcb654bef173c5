using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using Distill.Data;
using Distill.Onnx;
using Distill.Student.Output;
using Distill.Student.Students;
using Google.Protobuf;
using TorchSharp.Modules;
using static TorchSharp.torch;
using G = Distill.Student.Export.OnnxGraphWriter;

namespace Distill.Student.Export;

/// <summary>What the exported graph looks like from outside: tensor names and the per-sample input shape.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>One sample's shape, channels first (e.g. [1, 28, 28]); the graph input is [batch, ...SampleShape].</summary>
    public required int[] SampleShape { get; init; }
    public string InputName { get; init; } = "input";
    public string OutputName { get; init; } = "logits";
    public string BatchAxisName { get; init; } = "batch";
    public string GraphName { get; init; } = "student";
    public string DocString { get; init; } = "";
    /// <summary>Stored as ONNX metadata_props (ONNX Runtime: ModelMetadata.CustomMetadataMap).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Writes a TorchSharp student as an ONNX model (opset 17, IR 8, dynamic batch axis). TorchSharp has no tracer, so
/// the graph follows the module's structure: a <see cref="LayerStudent"/> (every built-in) by its logits path (a
/// multi-task student's backbone, then each head as a graph output of its own name, a lateral branch added first), a
/// <see cref="Residual"/> block as relu(body + shortcut), any <see cref="Sequential"/> of supported layers in order, and a
/// module with a forward() of its own that calls its supported layers one after another (traced with forward hooks) —
/// Linear (Gemm), Conv2d (Conv), BatchNorm2d (BatchNormalization, inference), ReLU, MaxPool2d, AvgPool2d,
/// AdaptiveAvgPool2d (GlobalAveragePool), Flatten, Identity and Dropout (inference: identity), Upsample (nearest,
/// integer scales: Resize) and <see cref="DetectionGrid"/> (Reshape, Transpose, Reshape).
/// Anything else throws a <see cref="DistillException"/> naming the layer. Initializers keep the state_dict names.
/// Model weights are read in their current state; call <c>eval()</c> semantics are assumed (BatchNorm running stats).
/// </summary>
public static class OnnxExporter
{
    public const int Opset = 17;
    public const long IrVersion = 8;

    public static IReadOnlyList<string> SupportedLayers { get; } = new[]
    {
        "Linear", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "Identity", "Dropout", "Upsample", "Sequential", "Residual", "DetectionGrid",
    };

    public static ModelProto Build(nn.Module<Tensor, Tensor> module, OnnxExportOptions options)
    {
        var state = module.state_dict();
        var ctx = new Context(new G(), state);
        var input = new OnnxValue(options.InputName, options.SampleShape.Select(d => (long)d).ToArray());
        // A multi-task student's heads are its outputs, under their own names; any other student has one, OutputName.
        var results = module is LayerStudent { Heads.Count: > 0 } heads ? ctx.EmitHeads(heads, input)
            : new[] { (options.OutputName, ctx.Emit(module, "", input)) };

        var graph = ctx.G.Graph;
        graph.Name = options.GraphName;
        graph.Input.Add(G.BatchedFloat(options.InputName, options.BatchAxisName, input.Shape));
        var named = new HashSet<string>();
        foreach (var (outputName, value) in results)
        {
            var result = value;
            if (result.Name == input.Name || named.Contains(result.Name) || graph.Node.All(n => !n.Output.Contains(result.Name)))
                result = result with { Name = ctx.G.Node("Identity", "output", new[] { result.Name }) };
            foreach (var n in graph.Node)
            {
                for (int i = 0; i < n.Output.Count; i++) if (n.Output[i] == result.Name) n.Output[i] = outputName;
                for (int i = 0; i < n.Input.Count; i++) if (n.Input[i] == result.Name) n.Input[i] = outputName;
            }
            named.Add(outputName);
            graph.Output.Add(G.BatchedFloat(outputName, options.BatchAxisName, result.Shape));
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "distill (TorchSharp)",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            ModelVersion = 1,
            DocString = options.DocString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (k, v) in options.Metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }

    /// <summary>Writes the model to <paramref name="path"/> (<see cref="AtomicFile"/>: a temporary file, renamed when complete).</summary>
    public static void Save(nn.Module<Tensor, Tensor> module, string path, OnnxExportOptions options) =>
        AtomicFile.WriteBytes(path, Build(module, options).ToByteArray());

    private sealed class Context(G g, Dictionary<string, Tensor> state)
    {
        public G G { get; } = g;

        private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
        private static string Show(string path) => path.Length == 0 ? "(root)" : path;

        private string Param(string path, string name, bool required = true)
        {
            var key = Join(path, name);
            if (state.TryGetValue(key, out var t)) return G.Initializer(key, t);
            if (required) throw new DistillException($"cannot export layer '{Show(path)}': its {name} is missing from the state_dict");
            return "";
        }

        private static Dictionary<string, nn.Module> Children(nn.Module m) =>
            m.named_children().ToDictionary(c => c.name, c => c.module);

        private static nn.Module Child(nn.Module m, string path, string name) =>
            Children(m).TryGetValue(name, out var c) ? c
                : throw new DistillException($"cannot export '{Show(path)}' ({m.GetType().Name}): submodule '{name}' not found");

        /// <summary>A multi-task student: its backbone path once, then each head from its tap (plus its lateral branch).</summary>
        public IReadOnlyList<(string Name, OnnxValue Value)> EmitHeads(LayerStudent student, OnnxValue x)
        {
            var atLayer = new OnnxValue[student.LayerPath.Count];
            for (int i = 0; i < student.LayerPath.Count; i++)
                x = atLayer[i] = Emit(student.LayerPath[i].Layer, student.LayerPath[i].Path, x);
            OnnxValue Tap(string tap) => atLayer[student.TapPositions[tap]];
            OnnxValue Chain(IEnumerable<(string Path, nn.Module<Tensor, Tensor> Layer)> layers, OnnxValue v)
            {
                foreach (var (layerPath, layer) in layers) v = Emit(layer, layerPath, v);
                return v;
            }
            var outputs = new List<(string, OnnxValue)>();
            foreach (var head in student.Heads)
            {
                var v = Tap(head.From);
                if (head.LateralFrom is { } from)
                {
                    var lateral = Chain(head.Lateral!, Tap(from));
                    if (!lateral.Shape.SequenceEqual(v.Shape))
                        throw new DistillException($"cannot export head '{head.Name}': its lateral branch gives [{string.Join(",", lateral.Shape)}], tap '{head.From}' is [{string.Join(",", v.Shape)}]");
                    v = new OnnxValue(G.Node("Add", head.Name, new[] { v.Name, lateral.Name }), v.Shape);
                }
                outputs.Add((head.Name, Chain(head.Layers, v)));
            }
            return outputs;
        }

        public OnnxValue Emit(nn.Module m, string path, OnnxValue x)
        {
            switch (m)
            {
                case LayerStudent student:
                {
                    // Every built-in: its logits path in order (taps are not exported).
                    foreach (var (layerPath, layer) in student.LayerPath) x = Emit(layer, Join(path, layerPath), x);
                    return x;
                }
                case Residual block:
                {
                    var h = x;
                    foreach (var (name, layer) in block.Body) h = Emit(layer, Join(path, name), h);
                    var s = block.Shortcut is { } sc ? Emit(sc, Join(path, "shortcut"), x) : x;
                    if (!h.Shape.SequenceEqual(s.Shape))
                        throw new DistillException($"cannot export '{Show(path)}': residual shapes differ ([{string.Join(",", h.Shape)}] vs [{string.Join(",", s.Shape)}])");
                    var sum = new OnnxValue(G.Node("Add", path, new[] { h.Name, s.Name }), h.Shape);
                    return Relu(path, sum);
                }
                case Sequential:
                {
                    foreach (var (name, child) in m.named_children()) x = Emit(child, Join(path, name), x);
                    return x;
                }
                case TorchSharp.Modules.Linear: return Linear(m, path, x);
                case Conv2d: return Conv(m, path, x);
                case BatchNorm2d: return BatchNorm(m, path, x);
                case ReLU: return Relu(path, x);
                case MaxPool2d: return Pool(m, path, x, "MaxPool");
                case AvgPool2d: return Pool(m, path, x, "AveragePool");
                case AdaptiveAvgPool2d: return AdaptiveAvg(m, path, x);
                case TorchSharp.Modules.Flatten: return FlattenModule(m, path, x);
                case Identity: return x;
                case Dropout: return x;
                case Upsample up: return Resize(up, path, x);
                case DetectionGrid grid: return Rows(grid, path, x);
            }
            if (m.named_children().Any() && IsChainOfSupportedLayers(m) && Chain(m, path, x) is { } chained) return chained;
            throw Unsupported(m, path);
        }

        private static bool IsChainOfSupportedLayers(nn.Module m) =>
            m is nn.Module<Tensor, Tensor> && m.named_modules().All(c => c.name.Length == 0 || c.module.named_children().Any() || IsSupportedLeaf(c.module));

        /// <summary>
        /// A module with a forward() of its own, followed by running it: forward hooks record which layers it calls, in
        /// order, on a fixed input. When each layer takes exactly the previous layer's output (or that output flattened),
        /// the first takes the module's input and the module returns the last output, the module is that chain of layers
        /// and is exported as such. Functional operations between layers, branches or skips break the equalities: null.
        /// </summary>
        private OnnxValue? Chain(nn.Module m, string path, OnnxValue x)
        {
            var module = (nn.Module<Tensor, Tensor>)m;
            var calls = new List<(string Name, nn.Module Layer, Tensor In, Tensor Out)>();
            var removers = new List<Action>();
            foreach (var (name, leaf) in m.named_modules())
                if (name.Length > 0 && !leaf.named_children().Any() && leaf is nn.Module<Tensor, Tensor> layer)
                {
                    var hook = layer.register_forward_hook((_, input, output) => { calls.Add((name, leaf, input.detach().clone(), output.detach().clone())); return output; });
                    removers.Add(hook.remove);
                }
            bool training = m.training;
            m.eval();
            try
            {
                using var _ = no_grad();
                using var scope = NewDisposeScope();
                long n = x.Shape.Aggregate(1L, (a, b) => a * b);
                var input = (arange(2 * n, ScalarType.Float32) * 0.37f).sin().reshape(new[] { 2L }.Concat(x.Shape).ToArray());
                var output = module.forward(input);
                var value = x;
                var previous = input;
                foreach (var (name, layer, @in, @out) in calls)
                {
                    if (!SameValues(previous, @in)) return null;
                    if (!previous.shape.SequenceEqual(@in.shape)) value = Flatten(path, value);
                    value = Emit(layer, Join(path, name), value);
                    previous = @out;
                }
                if (calls.Count == 0 || !SameValues(previous, output)) return null;
                return previous.shape.SequenceEqual(output.shape) ? value : Flatten(path, value);
            }
            finally
            {
                foreach (var remove in removers) remove();
                m.train(training);
            }
        }

        /// <summary>Equal element for element in row-major order (so a flattened tensor equals its source).</summary>
        private static bool SameValues(Tensor a, Tensor b) =>
            a.numel() == b.numel() && a.shape[0] == b.shape[0] && a.reshape(-1).eq(b.reshape(-1)).all().item<bool>();

        /// <summary>The error for a module we cannot follow: names the first unsupported layer inside it, or the module itself.</summary>
        private static DistillException Unsupported(nn.Module m, string path)
        {
            foreach (var (name, sub) in m.named_modules())
            {
                if (name.Length == 0 || sub.named_children().Any()) continue;
                if (!IsSupportedLeaf(sub))
                    return new DistillException($"cannot export layer '{Join(path, name)}' ({sub.GetType().Name}) to ONNX: supported layers are {string.Join(", ", SupportedLayers)}");
            }
            if (m.named_children().Any())
                return new DistillException($"cannot export module '{Show(path)}' ({m.GetType().Name}) to ONNX: its own forward() does more than call its layers one after another " +
                    $"(functional operations, branches or skips); build it from supported layers ({string.Join(", ", SupportedLayers)}) invoked in a chain, or use a built-in student");
            return new DistillException($"cannot export layer '{Show(path)}' ({m.GetType().Name}) to ONNX: supported layers are {string.Join(", ", SupportedLayers)}");
        }

        private static bool IsSupportedLeaf(nn.Module m) => m is TorchSharp.Modules.Linear or Conv2d or BatchNorm2d or ReLU or MaxPool2d or AvgPool2d
            or AdaptiveAvgPool2d or TorchSharp.Modules.Flatten or Identity or Dropout or Upsample or DetectionGrid;

        /// <summary>
        /// Nearest upsampling by integer factors: Resize with asymmetric coordinates and floor rounding, PyTorch's
        /// mode='nearest' (source pixel floor(i / s)).
        /// </summary>
        private OnnxValue Resize(Upsample up, string path, OnnxValue x)
        {
            var scale = up.scale_factor.ToArray();
            if (up.mode != UpsampleMode.Nearest || x.Shape.Length != 3 || scale.Length is not (1 or 2) || scale.Any(f => f < 1 || f != Math.Floor(f)))
                throw new DistillException($"cannot export layer '{Show(path)}' (Upsample): only nearest upsampling of [C,H,W] by integer scale factors is supported");
            double sh = scale[0], sw = scale[^1];
            var scales = G.Floats(Join(path, "scales"), new[] { 1f, 1f, (float)sh, (float)sw });
            var y = G.Node("Resize", path, new[] { x.Name, "", scales }, G.String("mode", "nearest"),
                G.String("coordinate_transformation_mode", "asymmetric"), G.String("nearest_mode", "floor"));
            return new(y, new[] { x.Shape[0], (long)(x.Shape[1] * sh), (long)(x.Shape[2] * sw) });
        }

        /// <summary><see cref="DetectionGrid"/>: Reshape to [N, A, 5 + K, GH, GW], Transpose to [N, A, GH, GW, 5 + K], Reshape to rows.</summary>
        private OnnxValue Rows(DetectionGrid grid, string path, OnnxValue x)
        {
            if (x.Shape.Length != 3 || x.Shape[0] != (long)grid.Anchors * grid.RowSize)
                throw new DistillException($"cannot export layer '{Show(path)}' (DetectionGrid, {grid.Anchors} anchors × {grid.RowSize}) on a [{string.Join(",", x.Shape)}] input");
            long gh = x.Shape[1], gw = x.Shape[2];
            var split = G.Node("Reshape", path, new[] { x.Name, G.Int64s(Join(path, "split"), new long[] { 0, grid.Anchors, grid.RowSize, gh, gw }) });
            var moved = G.Node("Transpose", path, new[] { split }, G.Ints("perm", new long[] { 0, 1, 3, 4, 2 }));
            var rows = G.Node("Reshape", path, new[] { moved, G.Int64s(Join(path, "rows"), new long[] { 0, grid.Anchors * gh * gw, grid.RowSize }) });
            return new(rows, new[] { grid.Anchors * gh * gw, (long)grid.RowSize });
        }

        private OnnxValue Relu(string path, OnnxValue x) => new(G.Node("Relu", path, new[] { x.Name }), x.Shape);

        private OnnxValue Flatten(string path, OnnxValue x) => x.Shape.Length == 1 ? x
            : new(G.Node("Flatten", path, new[] { x.Name }, G.Int("axis", 1)), new[] { x.Shape.Aggregate(1L, (a, b) => a * b) });

        private OnnxValue FlattenModule(nn.Module m, string path, OnnxValue x)
        {
            long start = Longs(m, "start_dim", 1)?[0] ?? 1, end = Longs(m, "end_dim", 1)?[0] ?? -1;
            if (start != 1 || end != -1)
                throw new DistillException($"cannot export layer '{Show(path)}' (Flatten): only start_dim=1, end_dim=-1 is supported, got {start}, {end}");
            return Flatten(path, x);
        }

        private OnnxValue Linear(nn.Module m, string path, OnnxValue x)
        {
            if (x.Shape.Length != 1)
                throw new DistillException($"cannot export layer '{Show(path)}' (Linear) on a [{string.Join(",", x.Shape)}] input: put a Flatten before it");
            var w = state[Join(path, "weight")];
            long outF = w.shape[0], inF = w.shape[1];
            if (inF != x.Shape[0])
                throw new DistillException($"cannot export layer '{Show(path)}' (Linear): it takes {inF} features, its input has {x.Shape[0]}");
            var inputs = new List<string> { x.Name, Param(path, "weight") };
            var b = Param(path, "bias", required: false);
            if (b.Length > 0) inputs.Add(b);
            return new(G.Node("Gemm", path, inputs, G.Int("transB", 1)), new[] { outF });
        }

        private OnnxValue Conv(nn.Module m, string path, OnnxValue x)
        {
            if (x.Shape.Length != 3) throw new DistillException($"cannot export layer '{Show(path)}' (Conv2d) on a [{string.Join(",", x.Shape)}] input: it needs [C,H,W]");
            var mode = m.GetType().GetProperty("padding_mode")?.GetValue(m)?.ToString();
            if (mode is not null && mode != "Zeros")
                throw new DistillException($"cannot export layer '{Show(path)}' (Conv2d): padding_mode {mode} is not supported (only zeros)");
            var w = state[Join(path, "weight")];
            long outC = w.shape[0], kh = w.shape[2], kw = w.shape[3];
            var stride = Longs(m, "stride", 2) ?? new[] { 1L, 1L };
            var dilation = Longs(m, "dilation", 2) ?? new[] { 1L, 1L };
            long groups = Longs(m, "groups", 1)?[0] ?? 1;
            long[] pads; // ONNX order: h_begin, w_begin, h_end, w_end
            var paddingType = m.GetType().GetProperty("padding_type")?.GetValue(m)?.ToString();
            if (paddingType == "Same")
            {
                long th = dilation[0] * (kh - 1), tw = dilation[1] * (kw - 1);
                pads = new[] { th / 2, tw / 2, th - th / 2, tw - tw / 2 };
            }
            else
            {
                var p = Longs(m, "padding", 2) ?? new[] { 0L, 0L };
                pads = new[] { p[0], p[1], p[0], p[1] };
            }
            if (w.shape[1] * groups != x.Shape[0])
                throw new DistillException($"cannot export layer '{Show(path)}' (Conv2d): it takes {w.shape[1] * groups} channels, its input has {x.Shape[0]}");
            var inputs = new List<string> { x.Name, Param(path, "weight") };
            var b = Param(path, "bias", required: false);
            if (b.Length > 0) inputs.Add(b);
            long h = Out(x.Shape[1], kh, stride[0], pads[0] + pads[2], dilation[0], false);
            long wo = Out(x.Shape[2], kw, stride[1], pads[1] + pads[3], dilation[1], false);
            var y = G.Node("Conv", path, inputs, G.Ints("kernel_shape", new[] { kh, kw }), G.Ints("strides", stride),
                G.Ints("pads", pads), G.Ints("dilations", dilation), G.Int("group", groups));
            return new(y, new[] { outC, h, wo });
        }

        private OnnxValue BatchNorm(nn.Module m, string path, OnnxValue x)
        {
            if (!state.ContainsKey(Join(path, "running_mean")))
                throw new DistillException($"cannot export layer '{Show(path)}' (BatchNorm2d): track_running_stats=false is not supported (no running statistics)");
            long c = state[Join(path, "running_mean")].shape[0];
            if (x.Shape.Length != 3 || x.Shape[0] != c)
                throw new DistillException($"cannot export layer '{Show(path)}' (BatchNorm2d, {c} channels) on a [{string.Join(",", x.Shape)}] input");
            var scale = state.ContainsKey(Join(path, "weight")) ? Param(path, "weight")
                : G.Initializer(Join(path, "weight"), Enumerable.Repeat(1f, (int)c).ToArray(), new[] { c });
            var bias = state.ContainsKey(Join(path, "bias")) ? Param(path, "bias")
                : G.Initializer(Join(path, "bias"), new float[c], new[] { c });
            double eps = m.GetType().GetProperty("eps")?.GetValue(m) is { } e ? Convert.ToDouble(e) : 1e-5;
            var y = G.Node("BatchNormalization", path, new[] { x.Name, scale, bias, Param(path, "running_mean"), Param(path, "running_var") },
                G.Float("epsilon", (float)eps));
            return new(y, x.Shape);
        }

        private OnnxValue Pool(nn.Module m, string path, OnnxValue x, string op)
        {
            string layer = m.GetType().Name;
            if (x.Shape.Length != 3) throw new DistillException($"cannot export layer '{Show(path)}' ({layer}) on a [{string.Join(",", x.Shape)}] input: it needs [C,H,W]");
            var k = Longs(m, "kernel_size", 2) ?? throw new DistillException($"cannot export layer '{Show(path)}' ({layer}): kernel size unknown");
            var s = Longs(m, "stride", 2) ?? k;
            var p = Longs(m, "padding", 2) ?? new[] { 0L, 0L };
            var d = Longs(m, "dilation", 2) ?? new[] { 1L, 1L };
            bool ceil = m.GetType().GetProperty("ceil_mode")?.GetValue(m) is true;
            var attrs = new List<AttributeProto> { G.Ints("kernel_shape", k), G.Ints("strides", s), G.Ints("pads", new[] { p[0], p[1], p[0], p[1] }) };
            if (ceil) attrs.Add(G.Int("ceil_mode", 1));
            if (op == "MaxPool")
            {
                if (d.Any(v => v != 1)) attrs.Add(G.Ints("dilations", d));
            }
            else
            {
                if (m.GetType().GetProperty("divisor_override")?.GetValue(m) is long) // set: not expressible in ONNX
                    throw new DistillException($"cannot export layer '{Show(path)}' (AvgPool2d): divisor_override is not supported");
                bool includePad = m.GetType().GetProperty("count_include_pad")?.GetValue(m) is not false;
                attrs.Add(G.Int("count_include_pad", includePad ? 1 : 0));
                d = new[] { 1L, 1L };
            }
            long h = Out(x.Shape[1], k[0], s[0], 2 * p[0], d[0], ceil), w = Out(x.Shape[2], k[1], s[1], 2 * p[1], d[1], ceil);
            return new(G.Node(op, path, new[] { x.Name }, attrs.ToArray()), new[] { x.Shape[0], h, w });
        }

        private OnnxValue AdaptiveAvg(nn.Module m, string path, OnnxValue x)
        {
            if (x.Shape.Length != 3) throw new DistillException($"cannot export layer '{Show(path)}' (AdaptiveAvgPool2d) on a [{string.Join(",", x.Shape)}] input");
            var o = Longs(m, "output_size", 2) ?? new[] { 1L, 1L };
            if (o[0] == 1 && o[1] == 1)
                return new(G.Node("GlobalAveragePool", path, new[] { x.Name }), new[] { x.Shape[0], 1L, 1L });
            if (x.Shape[1] % o[0] == 0 && x.Shape[2] % o[1] == 0)
            {
                var k = new[] { x.Shape[1] / o[0], x.Shape[2] / o[1] };
                return new(G.Node("AveragePool", path, new[] { x.Name }, G.Ints("kernel_shape", k), G.Ints("strides", k)), new[] { x.Shape[0], o[0], o[1] });
            }
            throw new DistillException($"cannot export layer '{Show(path)}' (AdaptiveAvgPool2d): output {o[0]}×{o[1]} does not divide the input {x.Shape[1]}×{x.Shape[2]}");
        }

        private static long Out(long size, long k, long s, long padTotal, long d, bool ceil)
        {
            long span = size + padTotal - d * (k - 1) - 1;
            long o = (ceil ? (span + s - 1) / s : span / s) + 1;
            if (ceil && (o - 1) * s >= size + padTotal / 2) o--; // PyTorch: the last window must start inside the input or left padding
            return o;
        }

        /// <summary>A hyper-parameter read by name (TorchSharp exposes long, long[], long? or tuples depending on the layer), as <paramref name="n"/> values.</summary>
        private static long[]? Longs(object m, string name, int n)
        {
            var prop = m.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(p => p.Name == name);
            var v = prop?.GetValue(m);
            long[]? values = v switch
            {
                null => null,
                long l => new[] { l },
                int i => new long[] { i },
                long[] a => a,
                int[] a => a.Select(i => (long)i).ToArray(),
                ITuple t => Enumerable.Range(0, t.Length).Select(j => Convert.ToInt64(t[j])).ToArray(),
                IEnumerable e => e.Cast<object>().Select(Convert.ToInt64).ToArray(),
                _ => new[] { Convert.ToInt64(v) },
            };
            if (values is null || values.Length == 0) return null;
            return values.Length == 1 && n > 1 ? Enumerable.Repeat(values[0], n).ToArray() : values;
        }
    }
}
