namespace Distill.Data;

/// <summary>
/// Resolves a dataset spec to a reader: <c>fashion-mnist</c>, <c>mnist</c> (Debian's /usr/share/datasets layout)
/// <c>idx:DIR</c>, <c>npy:FILE[,LABELS]</c>, <c>cifar10:DIR</c>, <c>cifar100:DIR</c> or <c>folder:DIR[,size=HxW][,channels=1|3]</c>.
/// New formats add one case here.
/// </summary>
public static class DatasetCatalog
{
    public const string DebianDatasetRoot = "/usr/share/datasets";

    public static IReadOnlyList<string> Formats { get; } = new[] { "fashion-mnist", "mnist", "idx:DIR", "npy:FILE[,LABELS]", "cifar10:DIR", "cifar100:DIR", "folder:DIR[,size=HxW][,channels=1|3]" };

    public static IDataset Open(string spec, string split)
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
                        $"{spec} not found at {dir}; install it with 'apt-get install dataset-{spec}' or pass idx:DIR");
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
                case "cifar10": return CifarDataset.Open(spec, path, split, 10);
                case "cifar100": return CifarDataset.Open(spec, path, split, 100);
                case "folder": return FolderDataset.Open(spec, path, split);
            }
        }
        throw new DistillException($"unknown dataset '{spec}' (expected one of: {string.Join(", ", Formats)})");
    }
}
