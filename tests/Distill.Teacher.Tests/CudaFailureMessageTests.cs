namespace Distill.Teacher.Tests;

/// <summary>
/// Why --device cuda did not work, in one line. The messages are ONNX Runtime's own, recorded from the CUDA build
/// (Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0) run on a machine without CUDA's libraries, and from the CPU package.
/// </summary>
[TestClass]
public sealed class CudaFailureMessageTests
{
    [TestMethod]
    public void CudaBuildWithoutCudaLibrariesNamesTheMissingLibrary()
    {
        const string ort = "[ErrorCode:Fail] /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:2043 onnxruntime::Provider& " +
            "onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /app/runtimes/linux-x64/native/" +
            "libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory\n";
        Assert.AreEqual("CUDAExecutionProvider cannot load libcublasLt.so.13: the CUDA 13 and cuDNN 9 libraries must be on LD_LIBRARY_PATH",
            SessionFactory.DescribeCudaFailure(ort, "TensorrtExecutionProvider, CUDAExecutionProvider, CPUExecutionProvider"));
    }

    [TestMethod]
    public void AnyOtherFailureKeepsOnnxRuntimesFirstLineAndTheProviders()
    {
        Assert.AreEqual("CUDAExecutionProvider unavailable (Unable to find an entry point named 'OrtSessionOptionsAppendExecutionProvider_CUDA'; " +
                        "providers of this ONNX Runtime build: CPUExecutionProvider); build with -p:UseCuda=true (Microsoft.ML.OnnxRuntime.Gpu.Linux) " +
                        "or supply CUDA-enabled native libraries",
            SessionFactory.DescribeCudaFailure("Unable to find an entry point named 'OrtSessionOptionsAppendExecutionProvider_CUDA'\nsecond line", "CPUExecutionProvider"));
    }
}
