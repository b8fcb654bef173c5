using Distill.Data;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Teacher;

/// <summary>
/// Creates ONNX Runtime sessions on the requested device. Uses only APIs that ONNX Runtime 1.29 already has, so the
/// same binary runs against the 1.29 CUDA build on the GPU machine (../shared/gpu/README.md).
/// </summary>
public static class SessionFactory
{
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>
    /// Session options for <paramref name="device"/>. <c>auto</c> falls back to CPU and reports why through
    /// <paramref name="warn"/> (once); <c>cuda</c> without a usable provider is an error naming what is missing.
    /// </summary>
    public static SessionOptions CreateOptions(ExecutionDevice device, int threads, Action<string> warn, out string used)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (threads > 0) { options.IntraOpNumThreads = threads; options.InterOpNumThreads = 1; }
        used = "cpu";
        if (device.Kind == "cpu") return options;

        string? problem = TryAppendCuda(options, device.DeviceId);
        if (problem == null) { used = $"cuda:{device.DeviceId}"; return options; }
        if (device.Kind == "cuda")
        {
            options.Dispose();
            throw new DistillException($"--device {device}: {problem}");
        }
        warn($"warning: CUDA not usable ({problem}); running on CPU");
        return options;
    }

    private static string? TryAppendCuda(SessionOptions options, int deviceId)
    {
        string[] providers;
        try { providers = OrtEnv.Instance().GetAvailableProviders(); }
        catch (Exception e) { return $"cannot query ONNX Runtime providers ({e.Message})"; }
        if (!providers.Contains(CudaProvider))
            return $"this ONNX Runtime build has no {CudaProvider} (providers: {string.Join(", ", providers)}); " +
                   "build with -p:UseCuda=true (Microsoft.ML.OnnxRuntime.Gpu.Linux) or supply its native libraries";
        try
        {
            options.AppendExecutionProvider_CUDA(deviceId);
            return null;
        }
        // The CPU package throws EntryPointNotFoundException; a GPU build without CUDA/cuDNN libraries throws
        // OnnxRuntimeException naming the library that failed to load.
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return $"the CUDA provider did not load: {e.Message.Split('\n')[0].Trim()}";
        }
    }

    public static string OnnxRuntimeVersion()
    {
        try { return OrtEnv.Instance().GetVersionString(); }
        catch { return "unknown"; }
    }
}
