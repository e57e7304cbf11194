namespace Rotoscope.Training;

/// <summary>
/// Everything that determines a trained network (with the style and content images): two runs with equal settings
/// and images produce the same loss sequence. Recorded with the run and in the catalog entry.
/// </summary>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="Size">Side of the square content crops, in pixels.</param>
/// <param name="StyleWeight">Strength of style: the weight of the style loss.</param>
/// <param name="ContentWeight">Weight of the content loss (higher keeps more of the video's detail).</param>
/// <param name="VariationWeight">Weight of the total-variation loss (smoothness).</param>
/// <param name="Batch">Crops per step.</param>
/// <param name="LearningRate">Adam's learning rate at the start; it decays (cosine) to a tenth by the last step.</param>
/// <param name="Channels">Base width of the network (the built-in styles use 16).</param>
/// <param name="Blocks">Residual blocks (the built-in styles use 3).</param>
/// <param name="Jitter">Shift the window the loss sees by a random 0..15 pixels each step (against grid textures).</param>
/// <param name="StabilityWeight">Weight of the stability loss: a shifted, noisy copy of the input must give the same output shifted (against flicker on video).</param>
public sealed record TrainingSettings(
    int Steps = 1200,
    int Size = 192,
    double StyleWeight = 1.0,
    double ContentWeight = 1.0,
    double VariationWeight = 1e-3,
    int Seed = 1,
    int Batch = 2,
    double LearningRate = 2e-3,
    int Channels = 16,
    int Blocks = 3,
    bool Jitter = true,
    double StabilityWeight = 1000)
{
    /// <summary>The side the style image is scaled to (its shorter side) before its Gram matrices are taken.</summary>
    public int StyleSize => Size * 2;

    /// <summary>Fails with one line for the user when a setting is out of range.</summary>
    public void Validate()
    {
        Check(Steps >= 1, "--steps must be at least 1");
        Check(Size is >= 32 and <= 1024 && Size % 4 == 0, "--size must be a multiple of 4 from 32 to 1024");
        Check(StyleWeight > 0 && double.IsFinite(StyleWeight), "--strength-of-style must be a positive number");
        Check(ContentWeight >= 0 && double.IsFinite(ContentWeight), "--strength-of-content must not be negative");
        Check(VariationWeight >= 0 && double.IsFinite(VariationWeight), "--smoothness must not be negative");
        Check(StabilityWeight >= 0 && double.IsFinite(StabilityWeight), "--stability must not be negative");
        Check(Batch >= 1, "the batch must be at least 1");
        Check(LearningRate > 0, "the learning rate must be positive");
        Check(Channels >= 1 && Blocks >= 0, "the network needs at least one channel");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new Core.RotoscopeException(message);
        }
    }
}

/// <summary>Where a run stands: shown as the live progress line.</summary>
/// <param name="ResumedFrom">The step the run resumed from (0 for a fresh run).</param>
public sealed record TrainingProgress(int Step, int Steps, LossValues Loss, TimeSpan Elapsed, double StepsPerSecond, int ResumedFrom)
{
    /// <summary>Time left at the current speed; null until the speed is known.</summary>
    public TimeSpan? Remaining => StepsPerSecond > 0 ? TimeSpan.FromSeconds((Steps - Step) / StepsPerSecond) : null;
}
