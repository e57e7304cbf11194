using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotoscope.Core.Media;

/// <summary>Stores a <see cref="Rational"/> as its text form ("30000/1001"), which is also how ffprobe and users write it.</summary>
public sealed class RationalJsonConverter : JsonConverter<Rational>
{
    /// <inheritdoc/>
    public override Rational Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Rational.TryParse(reader.GetString(), out var value) ? value : throw new JsonException($"'{reader.GetString()}' is not a rational number");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, Rational value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
