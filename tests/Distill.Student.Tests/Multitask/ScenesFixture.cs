using Distill.Cache;
using Distill.Data;
using Distill.Student.Students;

namespace Distill.Student.Tests.Multitask;

/// <summary>models/fmnist-scenes's two heads as a cache describes them (seg [11, 16, 16] first, det [192, 15] with the card's anchors and grid).</summary>
internal static class ScenesFixture
{
    public static readonly DetectionHead Head = new(new[] { new[] { 14.0, 21 }, new[] { 24.0, 14 }, new[] { 26.0, 31 } }, new[] { 8, 8 });

    public static CacheMetadata Metadata(IReadOnlyDictionary<string, DetectionHead>? detection = null) => new()
    {
        TeacherFile = "fmnist-scenes.onnx", TeacherSha256 = new string('5', 64),
        Outputs = new[] { new CacheOutput("seg", "logits", new[] { 11, 16, 16 }), new CacheOutput("det", "det", new[] { 192, 15 }) },
        ClassCount = 11, DatasetName = "yolo:scenes", Split = "train", DatasetCount = 10, Fingerprint = "f", SampleShape = new[] { 1, 64, 64 },
        Preprocessing = new Preprocessing(1 / 255.0, new[] { 0.0993147 }, new[] { 0.2415283 }), InputName = "input",
        Detection = detection ?? new Dictionary<string, DetectionHead> { ["det"] = Head },
    };

    public static DenseHeads Heads => DenseHeads.FromCache(Metadata())!;
}
