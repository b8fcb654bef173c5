using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Students;

/// <summary>
/// A detection head's convolution output [N, A·(5 + K), GH, GW] as YOLO rows [N, A·GH·GW, 5 + K], anchor-major
/// (r = a·GH·GW + gy·GW + gx): YOLOv5's view(N, A, 5 + K, GH, GW).permute(0, 1, 3, 4, 2), flattened. No parameters;
/// the exporter writes it as Reshape, Transpose, Reshape.
/// </summary>
public sealed class DetectionGrid : Module<Tensor, Tensor>
{
    public DetectionGrid(int anchors, int rowSize) : base("DetectionGrid") { (Anchors, RowSize) = (anchors, rowSize); }

    public int Anchors { get; }
    public int RowSize { get; }

    public override Tensor forward(Tensor x)
    {
        long n = x.shape[0], gh = x.shape[2], gw = x.shape[3];
        return x.view(n, Anchors, RowSize, gh, gw).permute(0, 1, 3, 4, 2).reshape(n, Anchors * gh * gw, RowSize);
    }
}
