namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>
/// The service scheduler, a rolling update as ECS runs one: start the primary deployment's tasks up to maximumPercent,
/// stop older deployments' tasks only while minimumHealthyPercent stays healthy and in the load balancer, retire a
/// deployment with no tasks left, mark COMPLETED at the desired count healthy, and trip the circuit breaker at
/// AWS's threshold (rolling back to the last COMPLETED task definition when rollback is on).
/// </summary>
internal sealed partial class LocalEcsPlane
{
    private async Task ScheduleAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                lock (gate)
                {
                    foreach (var service in clusters.Values.SelectMany(c => c.Services.Values))
                        Schedule(service);
                }
            }
            catch (Exception e)
            {
                Broke(e);
                return;
            }

            try
            {
                await Task.Delay(Options.SchedulerInterval, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Schedule(EcsService service)
    {
        var primary = service.Primary;
        CountTasks(service);
        TripBreaker(service, primary);
        primary = service.Primary;

        var live = ServiceTasks(service).Where(t => t.DesiredStatus == "RUNNING").ToList();
        var ceiling = service.DesiredCount * service.Settings.MaximumPercent / 100;
        var toStart = Math.Min(primary.DesiredCount - live.Count(t => t.Deployment == primary), ceiling - ServiceTasks(service).Count(t => !t.Stopped));
        if (primary.RolloutState != "FAILED" && toStart > 0)
        {
            var definition = TaskDefinition(primary.TaskDefinitionArn);
            var started = Enumerable.Range(0, toStart)
                .Select(_ => NewTask(service.Cluster, definition, service, primary, primary.Id, $"service:{service.Name}", null))
                .ToList();
            Event(service, $"(service {service.Name}) has started {started.Count} tasks: {string.Join(' ', started.Select(t => $"(task {t.Id})"))}.");
        }

        ScaleIn(service, primary, live);
        CountTasks(service);

        var othersDrained = !ServiceTasks(service).Any(t => t.Deployment != primary && !t.Stopped);
        if (primary.RolloutState == "IN_PROGRESS" && othersDrained
            && ServiceTasks(service).Count(t => !t.Stopped) == primary.DesiredCount
            && ServiceTasks(service).Count(t => t.Deployment == primary && Serving(service, t)) == primary.DesiredCount)
        {
            primary.RolloutState = "COMPLETED";
            primary.RolloutStateReason = $"ECS deployment {primary.Id} completed.";
            primary.UpdatedAt = DateTimeOffset.UtcNow;
            service.LastCompleted = primary;
            Event(service, $"(service {service.Name}) (deployment {primary.Id}) deployment completed.");
            Event(service, $"(service {service.Name}) has reached a steady state.");
        }

        // A replaced deployment stays listed (ACTIVE, its rolloutState kept) until the primary settles: a client following
        // a deployment that failed and was rolled back still finds it FAILED while the rollback runs.
        if (primary.RolloutState != "IN_PROGRESS")
            service.Deployments.RemoveAll(d => d != primary && !ServiceTasks(service).Any(t => t.Deployment == d && !t.Stopped));
    }

    /// <summary>Old deployments' tasks (and the primary's beyond its desired count) go while the healthy count stays at minimumHealthyPercent.</summary>
    private void ScaleIn(EcsService service, EcsDeployment primary, List<EcsTask> live)
    {
        var minimumHealthy = (int)Math.Ceiling(service.DesiredCount * service.Settings.MinimumHealthyPercent / 100.0);
        var serving = live.Count(t => Serving(service, t));
        var surplus = live.Where(t => t.Deployment != primary)
            .Concat(live.Where(t => t.Deployment == primary).Skip(primary.DesiredCount))
            .OrderBy(t => Serving(service, t))
            .ToList();
        var stopped = new List<EcsTask>();
        foreach (var task in surplus)
        {
            var servingOne = Serving(service, task);
            if (servingOne && serving - 1 < minimumHealthy)
                break;
            if (servingOne)
                serving--;
            RequestStop(task, "ServiceSchedulerInitiated", $"Scaling activity initiated by (deployment {primary.Id})");
            stopped.Add(task);
        }

        if (stopped.Count > 0)
            Event(service, $"(service {service.Name}) has stopped {stopped.Count} running tasks: {string.Join(' ', stopped.Select(t => $"(task {t.Id})"))}.");
    }

    private void TripBreaker(EcsService service, EcsDeployment primary)
    {
        if (!service.Settings.BreakerEnabled || primary.RolloutState != "IN_PROGRESS" || primary.FailedTasks < DeploymentSettings.FailureThreshold(primary.DesiredCount))
            return;
        primary.RolloutState = "FAILED";
        primary.RolloutStateReason = "ECS deployment circuit breaker: tasks failed to start.";
        primary.UpdatedAt = DateTimeOffset.UtcNow;
        Event(service, $"(service {service.Name}) (deployment {primary.Id}) deployment failed: tasks failed to start.");
        if (!service.Settings.Rollback || service.LastCompleted is not { } last)
            return;
        service.TaskDefinitionArn = last.TaskDefinitionArn;
        var rollback = StartDeployment(service, last.TaskDefinitionArn);
        rollback.RolloutStateReason = $"ECS deployment circuit breaker: rolling back to deploymentId {last.Id}.";
        Event(service, $"(service {service.Name}) rolling back to deployment {last.Id}.");
    }

    private void CountTasks(EcsService service)
    {
        foreach (var deployment in service.Deployments)
        {
            var own = ServiceTasks(service).Where(t => t.Deployment == deployment && !t.Stopped && t.DesiredStatus == "RUNNING").ToList();
            deployment.RunningCount = own.Count(t => t.LastStatus == "RUNNING");
            deployment.PendingCount = own.Count(t => t.LastStatus != "RUNNING");
        }
    }

    /// <summary>Healthy, and in the load balancer when the service has one: what may take an old task's place.</summary>
    private static bool Serving(EcsService service, EcsTask task) => task.Healthy && (service.Target is null || task.Registered);

    private IEnumerable<EcsTask> ServiceTasks(EcsService service) => tasks.Where(t => t.Service == service);

    /// <summary>Asks the task's agent to stop it (draining it first when it is a target).</summary>
    private static void RequestStop(EcsTask task, string stopCode, string reason)
    {
        task.DesiredStatus = "STOPPED";
        task.StopCode ??= stopCode;
        task.StoppedReason ??= reason;
        task.StoppingAt ??= DateTimeOffset.UtcNow;
    }

    private static void Event(EcsService service, string message) =>
        service.Events.Insert(0, new ServiceEvent(Guid.NewGuid().ToString(), DateTimeOffset.UtcNow, message));
}
