using Distill.Data;
using Distill.Student;
using Distill.Student.Export;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Distill.Examples.Tests;

/// <summary>The exported student used from an ML.NET pipeline: ApplyOnnxModel on a few Fashion-MNIST test images.</summary>
[TestClass]
public sealed class MlNetExampleTests
{
    public sealed class Image
    {
        [VectorType(1, 1, 28, 28)] [ColumnName("input")] public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    public sealed class Prediction
    {
        [ColumnName("logits")] public float[] Logits { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    public void ApplyOnnxModelPredictsFashionMnistImages()
    {
        var cardPath = Path.Combine(RepoRoot.Dir, "models", "fmnist-resnet", "fmnist-resnet.json");
        var dir = TempFolder.Create("distill-examples");

        // Export a student (random weights are enough to show the plumbing; the logits must match TorchSharp's).
        manual_seed(1);
        using var student = StudentRegistry.Create("cnn-small", new[] { 1, 28, 28 }, 10);
        student.eval();
        var exported = StudentExport.WriteAll(student, "cnn-small", StudentExportSpec.FromTeacherCard(cardPath), dir);

        // Preprocess as the card says, then predict with ML.NET.
        var card = TeacherCard.Load(exported.CardPath);
        var pre = PreprocessingFlags.None.Require(card, exported.CardPath).Value;
        var ds = DatasetCatalog.Open("fashion-mnist", "test");
        const int n = 8;
        var pixels = new float[n * 784];
        ds.ReadSamples(0, n, pixels);
        pre.Apply(pixels, 1);
        var images = Enumerable.Range(0, n).Select(i => new Image { Pixels = pixels[(i * 784)..((i + 1) * 784)] }).ToList();

        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(images);
        var pipeline = ml.Transforms.ApplyOnnxModel(outputColumnNames: new[] { card.OutputName! }, inputColumnNames: new[] { card.InputName! }, modelFile: exported.OnnxPath);
        var model = pipeline.Fit(data);
        var predictions = ml.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).ToList();

        using var _ = no_grad();
        using var torchOut = student.forward(tensor(pixels, new long[] { n, 1, 28, 28 }));
        var expected = torchOut.data<float>().ToArray();
        Assert.AreEqual(n, predictions.Count);
        for (int i = 0; i < n; i++)
        {
            Assert.AreEqual(10, predictions[i].Logits.Length);
            for (int c = 0; c < 10; c++) Assert.AreEqual(expected[i * 10 + c], predictions[i].Logits[c], 1e-5);
            int best = Array.IndexOf(predictions[i].Logits, predictions[i].Logits.Max());
            Console.WriteLine($"image {i}: label {card.Classes![ds.GetLabel(i)]}, predicted {card.Classes[best]}");
        }
        Directory.Delete(dir, true);
    }
}
