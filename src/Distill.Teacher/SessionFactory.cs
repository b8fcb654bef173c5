using System.Text.RegularExpressions;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Teacher;

/// <summary>
/// Creates ONNX Runtime sessions on the requested device. Uses only APIs that ONNX Runtime 1.29 already has, so the
/// same binary also runs against CUDA-enabled native libraries supplied at run time (bench/gpu/README.md), the
/// fallback beside the CUDA build (-p:UseCuda=true, Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0).
/// </summary>
public static class SessionFactory
{
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>
    /// Session options for <paramref name="device"/>. <c>auto</c> falls back to CPU: silently on a CPU-only build (there
    /// is nothing to report), with one line through <paramref name="warn"/> on a CUDA build that finds no usable GPU;
    /// <c>cuda</c> without a usable provider is an error naming what is missing.
    /// </summary>
    /// <param name="spinning">ONNX Runtime's default, idle intra-op threads spinning: for measuring a model as it is
    /// served (evaluate's latency, a bench's baseline), not for the tool's own pipeline.</param>
    public static SessionOptions CreateOptions(ExecutionDevice device, int threads, Action<string> warn, out string used, bool spinning = false)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (threads > 0) { options.IntraOpNumThreads = threads; options.InterOpNumThreads = 1; }
        // Idle intra-op threads wait without spinning: a spinning thread holds a core that the tool's other stages
        // (decoding images, writing Parquet) need the moment a Run ends. Measured on 2 cores (bench/imagenet/README.md):
        // spinning slowed the tool's Runs by more than not spinning slows a bare Run loop (ResNet-18: 27.2 s spinning,
        // 28.5 s not, within the rounds' ±10 %); the Fashion-MNIST teacher runs at the same speed either way.
        if (!spinning) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        used = "cpu";
        if (device.Kind == "cpu") return options;

        string? problem = TryAppendCuda(options, device.DeviceId, out bool cpuOnlyBuild);
        if (problem == null) { used = $"cuda:{device.DeviceId}"; return options; }
        if (device.Kind == "cuda")
        {
            options.Dispose();
            throw new DistillException($"--device {device}: {problem}");
        }
        if (!cpuOnlyBuild) warn($"warning: no usable GPU, running on the CPU: {problem}");
        return options;
    }

    private static string? TryAppendCuda(SessionOptions options, int deviceId, out bool cpuOnlyBuild)
    {
        cpuOnlyBuild = false;
        // Not gated on GetAvailableProviders(): some CUDA builds (e.g. the 1.29 one used on the GPU machine) list only
        // the CPU provider there and still load CUDA. Appending is the real test.
        try
        {
            // TF32 convolutions would put the logits about 1e-3 relative away from the CPU's; keep full fp32 so a
            // CUDA cache equals a CPU cache to ~1e-5.
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string>
            {
                ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["use_tf32"] = "0",
            });
            options.AppendExecutionProvider_CUDA(cuda);
            return null;
        }
        catch (OnnxRuntimeException e) when (e.Message.Contains("not enabled in this build"))
        {
            // Newer CUDA builds ship the provider as a plugin library (it exports CreateEpFactories) instead of
            // compiling it into the core; older ones only have the original entry point.
            cpuOnlyBuild = FindLibrary(CudaPluginLibrary) is null;
            if (cpuOnlyBuild)
                return $"this ONNX Runtime build is CPU-only: no {CudaProvider} and no {CudaPluginLibrary} on LD_LIBRARY_PATH " +
                       "(build with -p:UseCuda=true, or supply CUDA-enabled native libraries)";
            return TryAppendCudaPlugin(options, deviceId) is { } problem ? TryAppendCudaV1(options, deviceId) is null ? null : problem : null;
        }
        // The CPU package throws OnnxRuntimeException ("not enabled in this build") or EntryPointNotFoundException; a
        // GPU build without CUDA/cuDNN libraries throws OnnxRuntimeException naming the library that failed to load.
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            cpuOnlyBuild = e is EntryPointNotFoundException;   // the CPU package lacks the CUDA entry point altogether
            string providers;
            try { providers = string.Join(", ", OrtEnv.Instance().GetAvailableProviders()); }
            catch (Exception) { providers = "unknown"; }
            return DescribeCudaFailure(e.Message, providers);
        }
    }

    /// <summary>
    /// One line saying why the CUDA provider did not load. A CUDA build on a machine without CUDA's libraries (the
    /// usual case) names the library the dynamic loader could not find instead of ONNX Runtime's multi-part message.
    /// </summary>
    internal static string DescribeCudaFailure(string message, string providers)
    {
        string first = message.Split('\n')[0].Trim();
        var missing = Regex.Match(first, @"error: (\S+?): cannot open shared object file");
        if (missing.Success)
            return $"{CudaProvider} cannot load {missing.Groups[1].Value}: the CUDA 13 and cuDNN 9 libraries must be on LD_LIBRARY_PATH";
        return $"{CudaProvider} unavailable ({first}; providers of this ONNX Runtime build: {providers}); " +
               "build with -p:UseCuda=true (Microsoft.ML.OnnxRuntime.Gpu.Linux) or supply CUDA-enabled native libraries";
    }

    private static readonly object PluginLock = new();
    private static bool _pluginRegistered;

    private static string? TryAppendCudaPlugin(SessionOptions options, int deviceId)
    {
        try
        {
            var env = OrtEnv.Instance();
            lock (PluginLock)
            {
                if (!_pluginRegistered)
                {
                    env.RegisterExecutionProviderLibrary("CUDA", FindLibrary(CudaPluginLibrary)!);
                    _pluginRegistered = true;
                }
            }
            var gpus = env.GetEpDevices().Where(d => d.EpName == CudaProvider).ToList();
            if (gpus.Count <= deviceId)
                return $"{CudaProvider} plugin found {gpus.Count} CUDA device(s); cuda:{deviceId} does not exist";
            try
            {
                options.AppendExecutionProvider(env, new[] { gpus[deviceId] }, new Dictionary<string, string> { ["use_tf32"] = "0" });
            }
            catch (OnnxRuntimeException)
            {
                // An option the plugin does not know: its defaults (NVIDIA_TF32_OVERRIDE=0 disables TF32 globally).
                options.AppendExecutionProvider(env, new[] { gpus[deviceId] }, new Dictionary<string, string>());
            }
            return null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return $"{CudaProvider} plugin unavailable ({e.Message.Split('\n')[0].Trim()})";
        }
    }

    private const string CudaPluginLibrary = "libonnxruntime_providers_cuda.so";

    // dlopen does not search the application folder: look there, in NuGet's native folder and on LD_LIBRARY_PATH.
    private static string? FindLibrary(string name)
    {
        var dirs = new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") }
            .Concat((Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    private static string? TryAppendCudaV1(SessionOptions options, int deviceId)
    {
        try
        {
            options.AppendExecutionProvider_CUDA(deviceId);
            return null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return $"{CudaProvider} unavailable ({e.Message.Split('\n')[0].Trim()}); " +
                   "build with -p:UseCuda=true (Microsoft.ML.OnnxRuntime.Gpu.Linux) or supply CUDA-enabled native libraries";
        }
    }

    public static string OnnxRuntimeVersion()
    {
        try { return OrtEnv.Instance().GetVersionString(); }
        catch { return "unknown"; }
    }
}
