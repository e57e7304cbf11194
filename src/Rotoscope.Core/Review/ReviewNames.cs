using System.Globalization;
using System.Text;
using Rotoscope.Core.Rendering;

namespace Rotoscope.Core.Review;

/// <summary>Names a person recognises: the review folder's and the files in it.</summary>
public static class ReviewNames
{
    /// <summary>The contact sheet's file name.</summary>
    public const string ContactSheet = "contact-sheet.jpg";

    /// <summary>The instructions' file name.</summary>
    public const string Readme = "README.txt";

    /// <summary>The small metadata file (render id, input, styles) that ties the folder to its render.</summary>
    public const string Metadata = "rotoscope.json";

    /// <summary>The file a reviewer may add with the reason for a decision.</summary>
    public const string Notes = "notes.txt";

    private const int MaxStemLength = 60;

    /// <summary>The input's name without its extension, e.g. <c>drone</c>.</summary>
    public static string InputStem(RenderPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var input = plan.InputPath.TrimEnd('/');
        var name = input[(Math.Max(input.LastIndexOf('/'), input.LastIndexOf('\\')) + 1)..];
        var dot = name.LastIndexOf('.');
        return Clean(dot > 0 ? name[..dot] : name, "video");
    }

    /// <summary>The style chain for people: ids joined with '+', e.g. <c>mosaic+ink</c>.</summary>
    public static string StyleTitle(RenderPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Clean(string.Join("+", plan.Styles.Select(s => s.Id)), "style");
    }

    /// <summary>The review folder's name: input, style and the render's date, e.g. <c>drone - mosaic - 2026-12-03</c>.</summary>
    public static string Folder(RenderPlan plan, DateTimeOffset rendered) =>
        string.Create(CultureInfo.InvariantCulture, $"{InputStem(plan)} - {StyleTitle(plan)} - {rendered.UtcDateTime:yyyy-MM-dd}");

    /// <summary>The <paramref name="attempt"/>th candidate name (1: the name itself, then "NAME (2)", …).</summary>
    public static string Candidate(string name, int attempt) =>
        attempt <= 1 ? name : string.Create(CultureInfo.InvariantCulture, $"{name} ({attempt})");

    /// <summary>The review copy's file name, e.g. <c>drone.mosaic.review.mp4</c>.</summary>
    public static string Copy(RenderPlan plan) => $"{InputStem(plan)}.{StyleTitle(plan)}.review.mp4";

    // Characters that Dropbox or the desktop apps' file systems refuse become '_'; no leading or trailing dots or spaces.
    internal static string Clean(string text, string fallback)
    {
        var clean = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            clean.Append(char.IsControl(c) || "<>:\"/\\|?*".Contains(c, StringComparison.Ordinal) ? '_' : c);
        }

        var result = clean.ToString().Trim(' ', '.');
        if (result.Length > MaxStemLength)
        {
            result = result[..MaxStemLength].TrimEnd(' ', '.');
        }

        return result.Length == 0 ? fallback : result;
    }
}
