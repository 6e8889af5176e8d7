import { describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { pageScroll } from './composables/pageScroll'

const page = { template: '<div />' }

function setup() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/cases', component: page },
      { path: '/cases/:id', component: page },
      { path: '/meetings/:id', component: page },
    ],
  })
  const area = { scrollTop: 0 }
  pageScroll(router, () => area)
  return { router, area }
}

describe('the page area on navigation', () => {
  it('opens a linked case at its top, not where the case before was scrolled', async () => {
    const { router, area } = setup()
    await router.push('/cases/a')
    area.scrollTop = 1800
    await router.push('/cases/b')
    await nextTick()
    expect(area.scrollTop).toBe(0)
  })

  it('opens a meeting from a case at its top', async () => {
    const { router, area } = setup()
    await router.push('/cases/a')
    area.scrollTop = 640
    await router.push('/meetings/m')
    await nextTick()
    expect(area.scrollTop).toBe(0)
  })

  it('keeps the place when only the query changes (a filter, a page of the list)', async () => {
    const { router, area } = setup()
    await router.push('/cases')
    area.scrollTop = 300
    await router.push('/cases?state=open')
    await nextTick()
    expect(area.scrollTop).toBe(300)
  })

  it('keeps the place when a navigation is refused', async () => {
    const { router, area } = setup()
    await router.push('/cases/a')
    router.beforeEach((to) => to.path !== '/cases/b')
    area.scrollTop = 500
    await router.push('/cases/b')
    await nextTick()
    expect(area.scrollTop).toBe(500)
  })
})
