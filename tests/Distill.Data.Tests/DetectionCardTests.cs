namespace Distill.Data.Tests;

/// <summary>
/// Teacher cards describe YOLO-style detection outputs (<c>outputs.NAME.grid</c> with the top-level <c>anchors</c>, or
/// the output's own): models/fmnist-scenes's card as written there, and cards that cannot describe a head refused naming the card.
/// </summary>
[TestClass]
public sealed class DetectionCardTests
{
    private static string Card(string json)
    {
        string path = Path.Combine(TempDir.Create(), "t.json");
        File.WriteAllText(path, json);
        return path;
    }

    [TestMethod]
    public void TheScenesTeachersCardDescribesItsDetHead()
    {
        var card = TeacherCard.Load(Path.Combine(RepoRoot.Dir, "models", "fmnist-scenes", "fmnist-scenes.json"));
        var head = card.DetectionHeads!.Single();
        Assert.AreEqual("det", head.Key);
        Assert.AreEqual("3 anchors [[14, 21], [24, 14], [26, 31]] on a 8x8 grid", head.Value.ToString());
        Assert.AreEqual(192, head.Value.Rows);
        Assert.IsNull(head.Value.ShapeProblem(new[] { 192, 15 }));
        Assert.IsNotNull(head.Value.ShapeProblem(new[] { 192, 5 }), "K ≥ 1");
        Assert.IsNull(TeacherCard.Load(Path.Combine(RepoRoot.Dir, "models", "fmnist-resnet", "fmnist-resnet.json")).DetectionHeads);
    }

    [TestMethod]
    public void AnOutputsOwnAnchorsWinOverTheTopLevelOnes()
    {
        var card = TeacherCard.Load(Card("""{"anchors": [[1, 2]], "outputs": {"a": {"grid": [2, 3]}, "b": {"grid": [1, 1], "anchors": [[5, 6], [7, 8]]}, "seg": {"stride": 4}}}"""));
        Assert.AreEqual("1 anchors [[1, 2]] on a 2x3 grid", card.DetectionHeads!["a"].ToString());
        Assert.AreEqual("2 anchors [[5, 6], [7, 8]] on a 1x1 grid", card.DetectionHeads["b"].ToString());
        Assert.HasCount(2, card.DetectionHeads);
    }

    [TestMethod]
    public void CardsThatCannotDescribeAHeadAreRefusedNamingTheCard()
    {
        foreach (var (json, why) in new[]
        {
            ("""{"outputs": {"det": {"grid": [8, 8]}}}""", "outputs.det has a grid but the card lists no anchors"),
            ("""{"anchors": [[14, 0]], "outputs": {"det": {"grid": [8, 8]}}}""", "outputs.det: each anchor must be [width, height], positive numbers (input pixels)"),
            ("""{"anchors": [[14, 21]], "outputs": {"det": {"grid": [8]}}}""", "outputs.det: grid must be [GH, GW], positive integers"),
            ("""{"anchors": [["a", 21]], "outputs": {"det": {"grid": [8, 8]}}}""", "outputs.det: anchors must be [[w, h], ...] numbers and grid [GH, GW] integers"),
        })
        {
            string path = Card(json);
            var e = Assert.ThrowsExactly<DistillException>(() => TeacherCard.Load(path));
            Assert.AreEqual($"{path}: {why}", e.Message);
        }
    }
}
