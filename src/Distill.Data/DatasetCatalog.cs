namespace Distill.Data;

/// <summary>
/// Resolves a dataset spec to a reader: <c>fashion-mnist</c>, <c>mnist</c> (Debian's /usr/share/datasets layout),
/// <c>idx:DIR</c>, <c>npy:FILE[,LABELS]</c>, <c>cifar10:DIR</c>, <c>cifar100:DIR</c> (the binary releases) or
/// <c>folder:DIR[,...]</c> (an ImageFolder tree of PNG/JPEG files, <see cref="FolderOptions.Syntax"/>) or
/// <c>yolo:DIR[,...]</c> (images with YOLO boxes and masks). New formats add one case here.
/// </summary>
public static class DatasetCatalog
{
    public const string DebianDatasetRoot = "/usr/share/datasets";

    public static IReadOnlyList<string> Formats { get; } = new[] { "fashion-mnist", "mnist", "idx:DIR", "npy:FILE[,LABELS]", "cifar10:DIR", "cifar100:DIR",
        FolderOptions.Syntax, YoloOptions.Usage };

    /// <param name="options">What the teacher tells the reader (its classes, its card's resize/crop) and where warnings go.</param>
    public static IDataset Open(string spec, string split, DatasetOptions? options = null)
    {
        options ??= DatasetOptions.None;
        var data = OpenFormat(spec, split, options);
        if (data is not FolderDataset && (options.ShortSide is not null || options.Crop is not null))
            options.Warn?.Invoke($"warning: the teacher card's resize/crop apply to folder: datasets; {spec} is read as it is");
        return data;
    }

    /// <summary>
    /// A dataset given for evaluation alone (train-student <c>--test-dataset</c>): its test split, or, for a format with
    /// one split (<c>npy:</c>, a <c>folder:</c> tree without train/ and test/), that split.
    /// </summary>
    public static IDataset OpenTestSplit(string spec, DatasetOptions? options = null) => Open(spec, HasTestSplit(spec) ? "test" : "train", options);

    private static bool HasTestSplit(string spec) =>
        spec.StartsWith("npy:", StringComparison.Ordinal) ? false
        : spec.StartsWith("folder:", StringComparison.Ordinal) ? FolderDataset.HasSplitLayout(FolderOptions.Parse(spec["folder:".Length..]).Directory)
        : true;

    private static IDataset OpenFormat(string spec, string split, DatasetOptions options)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new DistillException("empty dataset name");
        switch (spec)
        {
            case "fashion-mnist":
            case "mnist":
            {
                var dir = Path.Combine(DebianDatasetRoot, spec);
                if (!Directory.Exists(dir))
                    throw new DistillException(
                        spec == "fashion-mnist"
                            ? $"{spec} not found at {dir}; install it with 'apt-get install dataset-fashion-mnist' or pass idx:DIR"
                            // Debian packages Fashion-MNIST only: MNIST's four IDX files are the user's to put there.
                            : $"{spec} not found at {dir}; put MNIST's four IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...) there or pass idx:DIR");
                return IdxDataset.Open(spec, dir, split);
            }
        }
        int colon = spec.IndexOf(':');
        if (colon > 0)
        {
            string kind = spec[..colon], path = spec[(colon + 1)..];
            switch (kind)
            {
                case "idx": return IdxDataset.Open(spec, path, split);
                case "npy": return NpyDataset.Open(spec, path, split);
                case "cifar10": return CifarDataset.OpenCifar10(spec, path, split);
                case "cifar100": return CifarDataset.OpenCifar100(spec, path, split);
                case "folder": return FolderDataset.Open(spec, path, split, options);
                case "yolo": return YoloDataset.Open(spec, path, split);
            }
        }
        throw new DistillException($"unknown dataset '{spec}' (expected one of: {string.Join(", ", Formats)})");
    }
}
