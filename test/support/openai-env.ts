/** Env for an app whose provider is the real ChatOpenAI talking to the fake upstream. */
export function openAiEnv(
  baseUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: baseUrl,
    OPENAI_API_KEY: 'sk-test-secret-key',
    LLM_MODEL: 'gpt-fake',
    LLM_MAX_RETRIES: '0',
    ...extra,
  };
}
