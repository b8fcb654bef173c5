namespace Distill.Student.Training;

/// <summary>
/// Learning rate per optimizer step. Steps count from 0 over epochs × stepsPerEpoch. Linear warmup (if any) ramps
/// from lr/stepsOfWarmup up to lr, then constant / step / cosine (to 0) applies over the remaining steps.
/// one-cycle is PyTorch's OneCycleLR defaults: pct_start 0.3, cosine, div_factor 25, final_div_factor 1e4.
/// </summary>
public static class Schedules
{
    public static double LearningRate(Recipe r, long step, long stepsPerEpoch)
    {
        long total = Math.Max(1, r.Epochs * stepsPerEpoch);
        double lr = r.Lr;
        if (r.Schedule == "one-cycle") return OneCycle(lr, step, total);
        long warm = (long)Math.Round(r.LrWarmup * stepsPerEpoch);
        if (step < warm) return lr * (step + 1) / warm;
        switch (r.Schedule)
        {
            case "step":
                return lr * Math.Pow(r.LrDecay, step / stepsPerEpoch / r.StepEpochs);
            case "cosine":
                double t = (double)(step - warm) / Math.Max(1, total - warm);
                return lr * 0.5 * (1 + Math.Cos(Math.PI * t));
            default:
                return lr;
        }
    }

    private static double OneCycle(double maxLr, long step, long total)
    {
        double initial = maxLr / 25, final = initial / 1e4;
        double up = 0.3 * total - 1;
        if (step <= up) return Cos(initial, maxLr, up <= 0 ? 1 : step / up);
        double down = total - 1 - up;
        return Cos(maxLr, final, down <= 0 ? 1 : (step - up) / down);
    }

    private static double Cos(double start, double end, double pct) => end + (start - end) / 2 * (Math.Cos(Math.PI * Math.Min(pct, 1)) + 1);
}
