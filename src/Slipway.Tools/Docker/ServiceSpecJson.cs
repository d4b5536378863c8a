using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Models = Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

/// <summary>
/// A library ServiceSpec as the engine's JSON and back, so a deploy can change one field of the spec the
/// engine returned and send the rest untouched (durations in nanoseconds, as the engine writes them).
/// </summary>
internal static class ServiceSpecJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new NanosecondsConverter() },
    };

    public static JsonObject ToJson(Models.ServiceSpec spec) => JsonSerializer.SerializeToNode(spec, Options)!.AsObject();

    public static Models.ServiceSpec FromJson(JsonObject spec) => spec.Deserialize<Models.ServiceSpec>(Options)!;

    private sealed class NanosecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromTicks(reader.GetInt64() / 100);

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(value.Ticks * 100);
    }
}
