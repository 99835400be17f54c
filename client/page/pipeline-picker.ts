import { listPipelines, type PipelineInfo } from '../src/index.js';

const STORAGE_KEY = 'pipeline';

/**
 * The pipeline `<select>`, filled from `GET /api/pipelines`; each option's description is its
 * tooltip and is shown next to the select. Until the list arrives (or when it is refused, e.g.
 * 401 before an API key is entered) it offers the service's default, `chat`.
 */
export class PipelinePicker {
  constructor(
    private readonly select: HTMLSelectElement,
    private readonly description: HTMLElement,
  ) {
    select.addEventListener('change', () => {
      sessionStorage.setItem(STORAGE_KEY, select.value);
      this.describe();
    });
  }

  get value(): string {
    return this.select.value;
  }

  async load(headers: Record<string, string>): Promise<void> {
    let pipelines: PipelineInfo[];
    try {
      pipelines = await listPipelines('', { headers });
    } catch (error: unknown) {
      this.description.textContent = `Pipelines could not be listed: ${
        error instanceof Error ? error.message : String(error)
      }`;
      return;
    }
    const wanted = sessionStorage.getItem(STORAGE_KEY) ?? this.select.value;
    this.select.replaceChildren(
      ...pipelines.map(({ name, description }) => {
        const option = document.createElement('option');
        option.value = name;
        option.textContent = name;
        option.title = description;
        return option;
      }),
    );
    if (pipelines.some((pipeline) => pipeline.name === wanted)) this.select.value = wanted;
    this.select.dataset.loaded = 'true';
    this.describe();
  }

  private describe(): void {
    const title = this.select.selectedOptions[0]?.title ?? '';
    this.select.title = title;
    this.description.textContent = title;
  }
}
