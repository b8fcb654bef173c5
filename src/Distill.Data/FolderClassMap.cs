namespace Distill.Data;

/// <summary>
/// How a folder tree's class folders become labels. When the teacher's classes name the folders (ImageNet synsets
/// such as <c>n01440764</c>, or plain names) a folder's label is that class's index, so a subset of ImageNet is labelled
/// as the teacher counts; otherwise labels are the ordinal order of the folder names and the caller is warned once.
/// </summary>
internal sealed record FolderClassMap(int[] LabelOfFolder, IReadOnlyList<string> Classes, string? Warning)
{
    public static FolderClassMap Resolve(string[] folders, IReadOnlyList<string>? teacherClasses, string dataset)
    {
        var ordinal = Enumerable.Range(0, folders.Length).ToArray();
        if (teacherClasses is null)
            return new FolderClassMap(ordinal, folders, $"warning: {dataset}: the teacher card lists no classes, so labels are the " +
                $"order of the {folders.Length} class folder names, which need not be the teacher's class indices (its top-1 may mean nothing)");
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var twice = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < teacherClasses.Count; i++)
            if (!index.TryAdd(teacherClasses[i], i)) twice.Add(teacherClasses[i]);
        var unknown = folders.Where(f => !index.ContainsKey(f)).ToList();
        if (unknown.Count == folders.Length)
            return new FolderClassMap(ordinal, folders, $"warning: {dataset}: no class folder is named after a teacher class " +
                $"('{folders[0]}' vs the card's '{teacherClasses[0]}', ...), so labels are the order of the {folders.Length} folder names, " +
                "which need not be the teacher's class indices (its top-1 may mean nothing)");
        if (unknown.Count > 0)
            throw new DistillException($"{dataset}: class folder '{unknown[0]}' is not a class of the teacher card " +
                $"({unknown.Count} of {folders.Length} folders are not; folders are matched to the card's {teacherClasses.Count} classes by name)");
        if (folders.FirstOrDefault(twice.Contains) is { } ambiguous)
            throw new DistillException($"{dataset}: class folder '{ambiguous}' names more than one class of the teacher card (give the card unique class_ids)");
        return new FolderClassMap(folders.Select(f => index[f]).ToArray(), teacherClasses, null);
    }
}
