namespace AttachCheck;

/// <summary>An outcome and its one-line explanation.</summary>
internal readonly record struct Verdict(Outcome Outcome, string Text);
