using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Styles;

namespace Rotoscope.Cli.Commands;

/// <summary>Options several commands share, and how they turn into <see cref="RotoscopeOptions"/>.</summary>
internal static class CommandOptions
{
    /// <summary>JSON for people and scripts alike: indented, enums as words, non-ASCII text (paths) as UTF-8, not \u escapes.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static Option<InferenceDevice> Device() => new("--device")
    {
        Description = "Where models run: Cpu, Cuda (fails clearly without a GPU build) or Auto (CUDA when available, else CPU).",
        DefaultValueFactory = _ => InferenceDevice.Cpu,
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Inference threads (0: one per core).",
        DefaultValueFactory = _ => 0,
    };

    public static Option<int?> Tile()
    {
        var tile = new Option<int?>("--tile")
        {
            Description = $"Run frames larger than N pixels a side in overlapping N-pixel tiles, blended (bounded memory for 4K); 0: never tile. " +
                $"Default {InferenceOptions.DefaultTileSize(InferenceDevice.Cpu)} on the CPU, {InferenceOptions.DefaultTileSize(InferenceDevice.Cuda)} on a GPU.",
        };
        tile.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0 or (> 0 and < TileGrid.MinimumTileSize))
            {
                r.AddError($"--tile must be 0 (no tiling) or at least {TileGrid.MinimumTileSize}");
            }
        });
        return tile;
    }

    public static Option<double> Strength() => new("--strength")
    {
        Description = "How much of the style, 0 to 1: 1 all of it (default), 0 the original, in between a blend of the two.",
        DefaultValueFactory = _ => 1,
        CustomParser = ParseStrength,
    };

    public static Option<bool> KeepColors() => new("--keep-colors")
    {
        Description = "Keep the original's colours: take only the style's brightness (luma); with --strength, blended after.",
    };

    /// <summary>What <c>--strength</c> and <c>--keep-colors</c> ask for.</summary>
    public static StyleAdjustment Adjustment(ParseResult parse, Option<double> strength, Option<bool> keepColors) =>
        new(parse.GetValue(strength), parse.GetValue(keepColors));

    public static Option<string?> DataDirectory() => new("--data-dir")
    {
        Description = "Root of the data:// store (default: $ROTOSCOPE_DATA or $XDG_DATA_HOME/rotoscope/data).",
    };

    public static Rational? ParseRate(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        try
        {
            return Rational.Parse(text);
        }
        catch (FormatException)
        {
            result.AddError($"'{text}' is not a frame rate (examples: 60, 30000/1001)");
            return null;
        }
        catch (ArgumentException)
        {
            result.AddError($"'{text}' is not a frame rate (examples: 60, 30000/1001)");
            return null;
        }
    }

    // NaN and infinities parse as doubles, so the range check is what refuses them.
    private static double ParseStrength(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && StyleAdjustment.IsValidStrength(value))
        {
            return value;
        }

        result.AddError($"--strength must be a number from 0 to 1 (got '{text}')");
        return 1;
    }

    public static RotoscopeOptions Resolve(CliContext context, string? dataDirectory)
    {
        var options = RotoscopeOptions.FromEnvironment(context.Environment, AppContext.BaseDirectory);
        return dataDirectory is null ? options : options with { DataDirectory = Path.GetFullPath(dataDirectory) };
    }
}
