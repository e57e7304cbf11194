using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Rotoscope.Core.Review;

/// <summary>Registers the review loop's parts beside a render node's (<c>AddRotoscope</c> first).</summary>
public static class ReviewServices
{
    /// <summary>Adds <see cref="ReviewPublisher"/>, <see cref="ReviewWatcher"/> and <see cref="OutputPublisher"/>.</summary>
    public static IServiceCollection AddReviews(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OutputPublisher>();
        services.AddSingleton<ReviewPublisher>();
        services.AddSingleton<ReviewWatcher>();
        return services;
    }
}
