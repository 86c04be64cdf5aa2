[assembly: Parallelizable(ParallelScope.Children)]
