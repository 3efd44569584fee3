"""gmcbot core: corpus, retrieval, screening, records and the GuidanceBot facade."""
